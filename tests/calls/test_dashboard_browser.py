"""The dashboard in Chromium at 1366 and 390 px (issue #15): no horizontal overflow, a year drawn
as monthly bars with whole-number ticks, French for a French User. With SHOTS_DIR set, the
dashboard, reports, website and telephony settings are photographed in both languages and
widths."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.roles import Role
from tests.factories import PASSWORD, CallFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1366, 390)
PAGES = {
    "dashboard": "/?period=365",
    "reports": "/reports/?by=channel&per=month&periods=6",
    "website": "/settings/website/",
    "telephony": "/settings/telephony/",
}


@pytest.fixture
def a_year_of_calls(acme, acme_number):
    now = timezone.now()
    statuses = ["answered", "answered", "missed", "busy", "answered", "voicemail", "failed"]
    # Two years: the 12-month view has a previous period to compare with.
    for index in range(240):
        CallFactory(
            client=acme,
            tracking_number=acme_number,
            status=statuses[index % len(statuses)],
            duration_seconds=30 + index,
            started_at=now - dt.timedelta(days=(index * 3) % 728, hours=1),
        )


def _log_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def _overflow(page) -> int:
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_a_year_draws_monthly_bars_with_whole_ticks_and_no_overflow_at_both_widths(
    chromium_page, acme_admin, a_year_of_calls
):
    page = chromium_page
    _log_in(page, acme_admin.email)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto("/?period=365")
        page.wait_for_selector("#calls-chart svg rect")
        bars = page.evaluate(
            "new Set([...document.querySelectorAll('#calls-chart rect')]"
            ".map(r => r.getAttribute('x'))).size"
        )
        assert 1 <= bars <= 53, bars
        ticks = page.locator("#calls-chart text.axis").all_text_contents()
        numbers = [text for text in ticks if text.strip().replace("\u202f", "").isdigit()]
        assert numbers and all(text.isdigit() for text in numbers)
        assert not any("." in text or "," in text for text in numbers)
        assert page.locator(".legend-item.missed").text_content() == "Unanswered"
        assert _overflow(page) <= 0, f"{width}px: {_overflow(page)}px of horizontal overflow"


def test_a_french_user_sees_the_chart_in_french(chromium_page, acme, a_year_of_calls):
    french = UserFactory(client=acme, role=Role.ADMIN, language="fr")
    page = chromium_page
    _log_in(page, french.email)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/?period=365")
    page.wait_for_selector("#calls-chart svg rect")
    assert page.locator(".legend-item.missed").text_content() == "Sans réponse"
    axis = " ".join(page.locator("#calls-chart text.axis").all_text_contents())
    assert re.search(r"\b20\d\d\b", axis)  # the year where needed
    assert _overflow(page) <= 0


@pytest.mark.skipif(not os.environ.get("SHOTS_DIR"), reason="SHOTS_DIR names where to save")
def test_screenshots_of_the_dashboard_reports_and_settings_in_both_languages(
    chromium_page, acme, a_year_of_calls
):
    shots = Path(os.environ["SHOTS_DIR"])
    shots.mkdir(parents=True, exist_ok=True)
    page = chromium_page
    for language in ("en", "fr"):
        user = UserFactory(client=acme, role=Role.ADMIN, language=language)
        page.context.clear_cookies()
        _log_in(page, user.email)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
            for name, url in PAGES.items():
                page.goto(url)
                if name in ("dashboard", "reports"):
                    page.wait_for_selector(".chart svg")
                page.screenshot(path=str(shots / f"{name}-{language}-{width}.png"), full_page=True)
                assert _overflow(page) <= 0, f"{name} {language} {width}px overflows"
