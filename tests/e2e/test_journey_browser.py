"""The whole journey in Chromium: settings, ingestion with a recording, dashboard, playback,
export, and a User's deletion."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest

from accounts.models import User
from calls.demo import demo_wav
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _api(base: str, method: str, path: str, key: str, body: bytes, content_type: str) -> dict:
    request = urllib.request.Request(  # noqa: S310 (the test's own live server)
        base + path,
        data=body,
        method=method,
        headers={"Authorization": f"Api-Key {key}", "Content-Type": content_type},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


def test_an_admin_sets_up_tracking_receives_a_call_listens_exports_and_deletes_a_user(
    chromium_page, live_server, acme_admin, acme_analyst
):
    page = chromium_page
    page.goto("/accounts/login/")
    page.fill("#id_username", acme_admin.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))

    page.click("nav >> text=Settings")
    page.fill("#id_number", "+33 1 84 80 00 42")
    page.fill("#id_source", "Google Ads")
    page.click("button:has-text('Add number')")
    assert page.locator("text=Tracking number 01 84 80 00 42 added").is_visible()
    page.fill("#id_name", "Telephony provider")
    page.click("button:has-text('Create key')")
    key = page.locator("#new-key-value").inner_text().strip()

    call = _api(
        live_server.url,
        "POST",
        "/api/v1/calls/",
        key,
        json.dumps(
            {
                "external_id": "journey-1",
                "tracking_number": "+33184800042",
                "caller_number": "+33612345678",
                "status": "answered",
                "started_at": "2026-11-28T10:00:00+01:00",
                "duration_seconds": 42,
            }
        ).encode(),
        "application/json",
    )
    stored = _api(
        live_server.url,
        "PUT",
        f"/api/v1/calls/{call['id']}/recording/",
        key,
        demo_wav(seconds=5, seed=3),
        "audio/wav",
    )
    assert stored["content_type"] == "audio/wav"

    page.goto("/?period=custom&first_day=2026-11-01&last_day=2026-11-30")
    assert page.locator("#total-calls").inner_text().strip() == "1"

    page.goto(f"/calls/{call['id']}/")
    page.wait_for_function("() => document.getElementById('recording-player').readyState >= 1")
    page.evaluate(
        "() => { const a = document.getElementById('recording-player'); a.muted = true; return a.play(); }"
    )
    page.wait_for_function("() => document.getElementById('recording-player').currentTime > 0.2")

    page.goto("/calls/")
    with page.expect_download() as download:
        page.click("text=Export CSV")
    content = Path(download.value.path()).read_text(encoding="utf-8")
    assert "journey-1" in content and "+33612345678" in content

    page.click("nav >> text=Users")
    page.locator("tr", has_text=acme_analyst.email).locator("text=Delete").click()
    page.click("button:has-text('Delete permanently')")
    page.wait_for_url(re.compile(r"/users/$"))
    assert not User.objects.filter(pk=acme_analyst.pk).exists()
