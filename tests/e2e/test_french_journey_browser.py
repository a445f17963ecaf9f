"""A French admin's whole journey in Chromium (SPEC §14): a browser that asks for French, a
Client in France and no language chosen; numbers typed as printed on a business card."""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.request
from pathlib import Path

import pytest

from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _post_call(base: str, key: str, body: dict) -> dict:
    request = urllib.request.Request(  # noqa: S310 (the test's own live server)
        base + "/api/v1/calls/",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Api-Key {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


def test_a_french_admin_does_everything_in_french_typing_numbers_as_printed(
    chromium_page, live_server, acme_admin
):
    acme_admin.language = ""  # follows the Client's country: France
    acme_admin.save(update_fields=["language"])
    context = chromium_page.context.browser.new_context(
        base_url=live_server.url, locale="fr-FR", extra_http_headers={"Accept-Language": "fr-FR"}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/accounts/login/")
        assert page.locator("html").get_attribute("lang") == "fr"
        page.click("button[type=submit]")  # an empty submit says what is missing, in French
        assert page.locator("text=Saisissez votre").first.is_visible()
        page.fill("#id_username", acme_admin.email)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/$"))
        assert page.locator("nav >> text=Tableau de bord").first.is_visible()

        page.click("nav >> text=Paramètres")
        page.fill("#id_number", "01 84 80 00 42")
        page.fill("#id_source", "Google Ads")
        page.click("button:has-text('Ajouter le numéro')")
        assert page.locator("text=Numéro de suivi 01 84 80 00 42 ajouté.").is_visible()
        page.fill("#id_name", "Opérateur")
        page.click("button:has-text('Créer la clé')")
        key = page.locator("#new-key-value").inner_text().strip()

        _post_call(
            live_server.url,
            key,
            {
                "external_id": "parcours-1",
                "tracking_number": "+33184800042",
                "caller_number": "+33612345678",
                "status": "answered",
                "started_at": "2026-11-28T10:00:00+01:00",
                "duration_seconds": 185,
            },
        )

        page.goto("/calls/?started_after=2026-11-01&started_before=2026-12-01")
        row = page.locator("table tbody tr").first
        assert "06 12 34 56 78" in row.inner_text()
        assert "3 min 05 s" in row.inner_text()
        assert "Répondu" in row.inner_text()

        # The caller found by the last digits of the number, as a person remembers it.
        page.goto("/calls/?caller_number=345678")
        assert page.locator("table tbody tr").count() == 1

        with page.expect_download() as download:
            page.click("text=Exporter en CSV")
        content = Path(download.value.path()).read_bytes()
        assert content.startswith(b"\xef\xbb\xbf")  # a spreadsheet opens it as UTF-8
        rows = list(csv.reader(io.StringIO(content[3:].decode()), delimiter=";"))
        assert "parcours-1" in rows[1]

        page.click("nav >> text=Utilisateurs")
        assert page.locator("h1").inner_text().strip() == "Utilisateurs"
        page.goto("/privacy/")
        assert page.locator("html").get_attribute("lang") == "fr"
    finally:
        context.close()
