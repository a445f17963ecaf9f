"""dni.js in Chromium, embedded by a page of another origin (the Client's site): consent first,
then a visit number; a call to it is attributed to the page's campaign (SPEC §13)."""

from __future__ import annotations

import http.server
import json
import re
import threading
import urllib.request
from collections.abc import Iterator

import pytest
from django.utils import timezone

from accounts.services import api_key_create
from attribution.services import website_update
from calls.services import tracking_number_create
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Acme</title></head><body>
<p>Call us: <a id="phone" data-dexem-number href="tel:+33184800300">01 84 80 03 00</a></p>
<script src="{server}/dni.js" data-client="{public_id}" async></script>
</body></html>"""


@pytest.fixture
def client_site() -> Iterator[dict]:
    """The Client's website: a tiny HTTP server on 127.0.0.1, another origin than the live
    server's (another host name and port)."""
    pages: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path.split("?")[0])
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"origin": f"http://127.0.0.1:{server.server_address[1]}", "pages": pages}
    finally:
        server.shutdown()
        server.server_close()


def _setup(acme, live_server, client_site) -> str:
    for i in range(2):
        tracking_number_create(client=acme, number=f"+3318480010{i}", source="Website", pool=True)
    tracking_number_create(client=acme, number="+33184800200", source="google")
    tracking_number_create(client=acme, number="+33184800300", source="Switchboard")
    website = website_update(
        client=acme, allowed_origins=[client_site["origin"]], default_number="+33184800300"
    )
    server = live_server.url.replace("127.0.0.1", "localhost")
    assert server != client_site["origin"]
    client_site["pages"]["/landing.html"] = PAGE.format(
        server=server, public_id=website.public_id
    ).encode()
    return server


def _post_call(server: str, key: str, number: str) -> dict:
    request = urllib.request.Request(  # noqa: S310 (the test's own live server)
        server + "/api/v1/calls/",
        data=json.dumps(
            {
                "external_id": "dni-browser-1",
                "tracking_number": number,
                "caller_number": "+33612345678",
                "status": "answered",
                "started_at": timezone.now().isoformat(),
                "duration_seconds": 30,
            }
        ).encode(),
        method="POST",
        headers={"Authorization": f"Api-Key {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


def _ours_on_device(page) -> dict:
    return {
        "session": page.evaluate("() => Object.assign({}, window.sessionStorage)"),
        "local": page.evaluate("() => Object.assign({}, window.localStorage)"),
        "cookie": page.evaluate("() => document.cookie"),
        "cookies": page.context.cookies(),
    }


def test_consent_first_then_a_visit_number_and_its_call_attributed_to_the_campaign(
    chromium_page, live_server, client_site, acme, acme_admin
):
    server = _setup(acme, live_server, client_site)
    page = chromium_page
    phone = page.locator("#phone")
    page.goto(
        client_site["origin"]
        + "/landing.html?utm_source=google&utm_medium=cpc&utm_campaign=spring&name=Jean"
    )
    # Before consent: the source's number, and nothing of ours on the device.
    page.wait_for_function(
        "() => document.getElementById('phone').textContent === '01 84 80 02 00'"
    )
    assert phone.get_attribute("href") == "tel:+33184800200"
    assert _ours_on_device(page) == {"session": {}, "local": {}, "cookie": "", "cookies": []}

    page.evaluate("() => dexem('consent', true)")
    page.wait_for_function(
        "() => /^01 84 80 01 0[01]$/.test(document.getElementById('phone').textContent)"
    )
    number = phone.get_attribute("href").removeprefix("tel:")
    assert number in {"+33184800100", "+33184800101"}
    device = _ours_on_device(page)
    assert list(device["session"]) == ["dexem_visit"]
    assert device["cookie"] == "" and device["cookies"] == []

    _, key = api_key_create(client=acme, name="provider", scopes=["ingest", "read"])
    call = _post_call(server, key, number)
    detail = urllib.request.Request(  # noqa: S310
        f"{server}/api/v1/calls/{call['id']}/", headers={"Authorization": f"Api-Key {key}"}
    )
    with urllib.request.urlopen(detail, timeout=30) as response:  # noqa: S310
        attribution = json.loads(response.read())["attribution"]
    assert attribution["campaign"] == "spring"
    assert attribution["channel"] == "paid_search"
    # Path and campaign parameters only: the visitor's name never left the page for good.
    assert attribution["landing_page"] == (
        "/landing.html?utm_source=google&utm_medium=cpc&utm_campaign=spring"
    )

    page.goto(server + "/accounts/login/")
    page.fill("#id_username", acme_admin.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    assert "spring" in page.locator("#by-campaign").inner_text()
    assert "Paid search" in page.locator("#by-channel").inner_text()


def test_the_page_keeps_its_own_number_when_our_server_is_unreachable(
    chromium_page, live_server, client_site, acme
):
    _setup(acme, live_server, client_site)
    page = chromium_page
    page.route("**/dni/v1/visits/", lambda route: route.abort("connectionrefused"))
    with page.expect_event("requestfailed"):
        page.goto(client_site["origin"] + "/landing.html?utm_source=google")
    page.evaluate("() => dexem('consent', true)")
    page.wait_for_timeout(300)
    assert page.locator("#phone").text_content() == "01 84 80 03 00"
    assert page.locator("#phone").get_attribute("href") == "tel:+33184800300"
