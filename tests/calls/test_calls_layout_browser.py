"""The call list, call page, contacts and settings at a desktop's 1366 px and a phone's 390 px
(issue #15): no horizontal overflow, however long a source name; the call list's filters open on
a desktop and folded on a phone. With CALLS_SHOTS=<dir>, screenshots of each page in English
and French at both widths are written there for review."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.utils import timezone

from tests.factories import PASSWORD, CallFactory, ContactFactory, TrackingNumberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}
LONG_SOURCE = "Salon-professionnel-de-la-franchise-et-du-commerce-associe-Porte-de-Versailles-2026"
NO_OVERFLOW = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def _log_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def _calls(client, number) -> list:
    now = timezone.now().replace(microsecond=0)
    long_number = TrackingNumberFactory(
        client=client, number="+33184800077", source=LONG_SOURCE, campaign="Printemps 2026"
    )
    contact = ContactFactory(client=client, phone_number="+33612345678")
    return [
        CallFactory(
            client=client,
            tracking_number=long_number if index % 3 == 0 else number,
            contact=contact,
            status=status,
            started_at=now - dt.timedelta(hours=index * 5),
            duration_seconds=duration,
            has_recording=status == "answered" and index % 2 == 0,
            has_voicemail=status == "voicemail",
        )
        for index, (status, duration) in enumerate(
            [("answered", 185), ("missed", 0), ("voicemail", 42), ("answered", 3725), ("busy", 0)]
        )
    ]


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_calls_pages_do_not_overflow_and_the_filters_fold_on_a_phone(
    chromium_page, acme_admin, acme_number, width
):
    calls = _calls(acme_admin.client, acme_number)
    page = chromium_page
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    _log_in(page, acme_admin)

    page.goto("/calls/")
    filters = page.locator("#call-filters")
    filters.wait_for()
    is_open = filters.evaluate("(box) => box.open")
    assert is_open is (width == "desktop")
    assert page.evaluate(NO_OVERFLOW), "/calls/"
    # Set filters stay in view on a phone too.
    page.goto("/calls/?status=answered")
    assert page.locator("#call-filters").evaluate("(box) => box.open")

    for path in (f"/calls/{calls[0].pk}/", "/contacts/?phone=06 12 34 56 78", "/settings/"):
        page.goto(path)
        assert page.evaluate(NO_OVERFLOW), path
    # The long source is cut in its cell, whole in its title.
    cell = page.locator("#tracking-numbers td.clip", has_text=LONG_SOURCE[:20])
    assert cell.get_attribute("title") == LONG_SOURCE
    assert cell.evaluate("(td) => td.scrollWidth > td.clientWidth")  # the ellipsis
    if width == "desktop":  # a number's actions in view, not scrolled out of its card
        action = page.locator("#tracking-numbers tr", has_text="01 84 80 00 77").locator(
            "a", has_text="Deactivate"
        )
        card = page.locator("#tracking-numbers").locator("xpath=ancestor::section[1]")
        assert action.bounding_box()["x"] + action.bounding_box()["width"] <= (
            card.bounding_box()["x"] + card.bounding_box()["width"]
        )


def test_the_way_back_from_a_call_returns_to_the_filtered_sorted_list(
    chromium_page, acme_admin, acme_number
):
    _calls(acme_admin.client, acme_number)
    page = chromium_page
    _log_in(page, acme_admin)
    page.goto("/calls/?status=answered&sort=longest")
    page.locator("#calls-table tbody a").first.click()
    page.wait_for_url(re.compile(r"/calls/[0-9a-f-]+/\?"))
    page.click("#back-to-calls")
    page.wait_for_url(re.compile(r"/calls/\?status=answered&sort=longest$"))
    assert page.locator("#id_status").input_value() == "answered"
    assert page.locator("#id_sort").input_value() == "longest"


def test_a_new_api_key_is_shown_once_with_a_copy_button(chromium_page, acme_admin):
    page = chromium_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    _log_in(page, acme_admin)
    page.goto("/settings/")
    page.fill("#id_name", "Standard téléphonique")
    page.click("button:has-text('Create key')")
    page.wait_for_url(re.compile(r"/settings/$"))
    key = page.locator("#new-key-value").text_content()
    assert key and key.startswith("dxm_")
    page.click("#new-key-copy")
    page.wait_for_function(
        "() => document.getElementById('new-key-copy').textContent.includes('✓')"
    )
    assert page.evaluate("navigator.clipboard.readText()") == key
    page.reload()
    assert page.locator("#new-key").count() == 0


@pytest.mark.skipif(not os.environ.get("CALLS_SHOTS"), reason="screenshots on demand (CALLS_SHOTS)")
@pytest.mark.parametrize("language", ["en", "fr"])
def test_screenshots_of_the_calls_pages(chromium_page, acme_admin, acme_number, language):
    target = Path(os.environ["CALLS_SHOTS"])
    target.mkdir(parents=True, exist_ok=True)
    acme_admin.language = language
    acme_admin.save(update_fields=["language"])
    calls = _calls(acme_admin.client, acme_number)
    page = chromium_page
    _log_in(page, acme_admin)
    pages = {
        "call-list": "/calls/",
        "call-list-errors": "/calls/?started_after=2026-11-05&started_before=2026-11-01",
        "call-page": f"/calls/{calls[0].pk}/?status=answered",
        "contacts": "/contacts/?phone=06 12 34 56 78",
        "settings": "/settings/",
        "deactivate": f"/settings/tracking-numbers/{acme_number.pk}/toggle/",
    }
    for w, h in WIDTHS.values():
        page.set_viewport_size({"width": w, "height": h})
        for name, path in pages.items():
            page.goto(path)
            page.screenshot(path=str(target / f"{name}-{language}-{w}.png"), full_page=True)
