"""The layout on a desktop (1366 px) and a phone (390 by 844) in Chromium: no page wider than the
screen, the navigation behind a menu button on the phone, in English and in French.

Set SCREENSHOTS_DIR to keep a screenshot of the login, users and profile pages at each width and
in each language."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from accounts.roles import Role
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
OVERFLOW = "document.scrollingElement.scrollWidth <= window.innerWidth"


def _shot(page, name: str) -> None:
    directory = os.environ.get("SCREENSHOTS_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory) / f"{name}.png"), full_page=True)


def _log_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


@pytest.fixture
def crowded_acme(acme_admin):
    """Acme with Users whose names and emails are long, and one still invited."""
    UserFactory(
        client=acme_admin.client,
        role=Role.MANAGER,
        first_name="Marie-Christine",
        last_name="de la Fontaine-Beaumarchais",
        email="marie-christine.delafontaine-beaumarchais@acme-industries.example",
    )
    invited = UserFactory(client=acme_admin.client, role=Role.ANALYST, email="new@acme.example")
    invited.set_unusable_password()
    invited.save()
    return acme_admin


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1366", "390"])
def test_no_page_is_wider_than_the_screen(chromium_page, crowded_acme, language, size):
    page = chromium_page
    page.set_viewport_size(size)
    crowded_acme.language = language
    crowded_acme.save()
    page.context.set_extra_http_headers({"Accept-Language": language})
    width = size["width"]
    page.goto("/accounts/login/")
    page.locator("button[type=submit]").click()  # an empty submit shows its errors
    assert page.locator("p.error").count() == 2
    assert page.evaluate(OVERFLOW), f"/accounts/login/ overflows at {width} px"
    _shot(page, f"login-{language}-{width}")
    _log_in(page, crowded_acme)
    for path, name in [("/", "dashboard"), ("/users/", "users"), ("/profile/", "profile")]:
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == language
        assert page.evaluate(OVERFLOW), f"{path} overflows at {width} px"
        if name != "dashboard":
            _shot(page, f"{name}-{language}-{width}")


def test_the_menu_button_opens_the_navigation_on_a_phone_only(chromium_page, acme_admin):
    page = chromium_page
    page.set_viewport_size(PHONE)
    _log_in(page, acme_admin)
    page.goto("/users/")
    button = page.locator(".menubutton")
    nav = page.locator("#mainnav")
    assert button.is_visible() and not nav.is_visible()
    assert button.get_attribute("aria-expanded") == "false"
    button.click()
    assert nav.is_visible() and button.get_attribute("aria-expanded") == "true"
    _shot(page, "menu-open-en-390")
    nav.get_by_role("link", name="Users").click()
    page.wait_for_url(re.compile(r"/users/$"))
    assert page.evaluate(OVERFLOW)

    page.set_viewport_size(DESKTOP)
    page.reload()
    assert not button.is_visible() and nav.is_visible()


def test_a_wide_table_scrolls_inside_its_card_on_a_phone(chromium_page, crowded_acme):
    page = chromium_page
    page.set_viewport_size(PHONE)
    _log_in(page, crowded_acme)
    page.goto("/users/")
    table = page.locator("table.users")
    scroll_width, client_width = table.evaluate("t => [t.scrollWidth, t.clientWidth]")
    assert scroll_width > client_width  # the table scrolls…
    assert page.evaluate(OVERFLOW)  # …the page does not
