"""The public request form on a phone and the privacy centre on a laptop, in French, in Chromium
(issue 15). Screenshots go to /work/shots/privacy/ (SHOTS_DIR) for a person to look at."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest

from privacy.audit import AuditAction, audit_record
from privacy.models import DataSubjectRequest
from privacy.sms import MemorySmsBackend
from tests.factories import PASSWORD, DataSubjectRequestFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("SHOTS_DIR", "/work/shots/privacy"))
FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_a_french_visitor_asks_for_erasure_on_a_390_px_phone(chromium_page):
    MemorySmsBackend.outbox.clear()
    page = chromium_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.context.set_extra_http_headers(FRENCH)
    page.goto("/privacy/request/")
    assert page.locator("h1").inner_text() == "Vos appels, vos données"
    assert page.evaluate(OVERFLOW) == 0
    _shot(page, "public-request-fr-390.png")

    page.fill("#id_phone", "++33 6 12 34 56 78")
    page.click("button[type=submit]")
    assert (
        page.locator(".field.has-error .error").inner_text().startswith("Votre numéro de téléphone")
    )
    assert page.evaluate(OVERFLOW) == 0
    _shot(page, "public-request-fr-390-error.png")

    page.fill("#id_phone", "06 12 34 56 78")
    page.check("input[name=kind][value=erasure]")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/privacy/request/verify/$"))
    assert page.locator("h1").inner_text() == "Saisissez votre code"
    assert page.evaluate(OVERFLOW) == 0
    _shot(page, "public-request-verify-fr-390.png")

    phone, text = MemorySmsBackend.outbox[-1]
    assert phone == "+33612345678" and text.startswith("Dexem : votre code est ")
    page.fill("#id_code", re.search(r"\d{6}", text).group())
    page.click("button[type=submit]")
    page.locator("#reference").wait_for()
    assert page.locator("h1").inner_text() == "Demande reçue"
    assert page.locator("#reference").inner_text() == DataSubjectRequest.objects.get().reference
    assert page.evaluate(OVERFLOW) == 0
    _shot(page, "public-request-done-fr-390.png")
    MemorySmsBackend.outbox.clear()


def test_a_french_admin_reads_the_privacy_centre_at_1366_px(chromium_page, acme_admin):
    acme_admin.language = "fr"
    acme_admin.save(update_fields=["language"])
    client = acme_admin.client
    # Two requests alike but for their reference and date: the table tells them apart.
    first = DataSubjectRequestFactory(client=client, received_on=dt.date(2026, 3, 2))
    second = DataSubjectRequestFactory(client=client, received_on=dt.date(2026, 3, 9))
    audit_record(action=AuditAction.RECORDING_PLAYED, actor=acme_admin, client_id=client.pk)
    page = chromium_page
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/accounts/login/")
    page.fill("#id_username", acme_admin.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/privacy/")
    assert page.locator("h1").inner_text() == "Centre de confidentialité"
    rows = page.locator("#requests tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).inner_text().startswith(f"{second.reference}\t09/03/2026")
    assert rows.nth(1).inner_text().startswith(f"{first.reference}\t02/03/2026")
    assert "Enregistrement écouté" in page.locator("#audit").inner_text()
    assert page.evaluate(OVERFLOW) == 0
    _shot(page, "privacy-centre-fr-1366.png")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.locator("h1").inner_text() == "Centre de confidentialité"
    _shot(page, "privacy-centre-fr-390.png")

    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/privacy/audit/")
    assert page.locator("h1").inner_text() == "Journal d'audit"
    assert page.evaluate(OVERFLOW) == 0
    _shot(page, "audit-log-fr-1366.png")
