from __future__ import annotations

import re

import pytest

from accounts.models import User
from accounts.roles import Role
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_creates_a_user_changes_the_role_and_deletes_it_in_chromium(
    chromium_page, acme_admin
):
    page = chromium_page
    page.goto("/accounts/login/")
    page.fill("#id_username", acme_admin.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))

    page.click("text=Users")
    page.click("text=Add a user")
    page.fill("#id_email", "dora@acme.example")
    page.fill("#id_first_name", "Dora")
    page.fill("#id_last_name", "Explorer")
    page.select_option("#id_role", "analyst")
    page.click("button:has-text('Add user')")
    page.wait_for_url(re.compile(r"/users/$"))
    assert page.locator("text=Dora Explorer was added").is_visible()
    assert User.objects.get(email="dora@acme.example").role == Role.ANALYST

    page.locator("tr", has_text="dora@acme.example").locator("text=Edit").click()
    page.select_option("#id_role", "manager")
    page.click("button:has-text('Save')")
    page.wait_for_url(re.compile(r"/users/$"))
    assert page.locator("tr", has_text="dora@acme.example").locator("text=Manager").is_visible()
    assert User.objects.get(email="dora@acme.example").role == Role.MANAGER

    page.locator("tr", has_text="dora@acme.example").locator("text=Delete").click()
    assert page.locator("h1", has_text="Delete Dora Explorer?").is_visible()
    page.click("button:has-text('Delete permanently')")
    page.wait_for_url(re.compile(r"/users/$"))
    assert page.locator("text=was deleted").is_visible()
    assert not User.objects.filter(email="dora@acme.example").exists()
