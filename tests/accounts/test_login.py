from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD


def _login(browser: Browser, email: str, password: str, **extra: str):
    return browser.post(reverse("login"), {"username": email, "password": password}, **extra)


def test_a_user_logs_in_with_the_email_in_any_case(client, acme_analyst):
    response = _login(client, acme_analyst.email.upper(), PASSWORD)
    assert response.status_code == 302 and response.url == "/"
    assert client.get("/").status_code == 200


def test_a_wrong_password_shows_an_error_without_saying_which_part_was_wrong(client, acme_analyst):
    response = _login(client, acme_analyst.email, "wrong-password-123")
    assert response.status_code == 200
    body = response.content.decode()
    assert "correct email" in body.lower()
    # The email is read in any case (above): only the password is said to be case-sensitive.
    assert "both fields may be case-sensitive" not in body
    assert "The password is case-sensitive." in body


def test_five_failures_lock_the_username_and_address_with_a_429_page(client, acme_analyst):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, acme_analyst.email, "wrong-password-123")
    response = _login(client, acme_analyst.email, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    assert "Try again in 15 minutes." in response.content.decode()
    assert "hours:minutes:seconds" not in response.content.decode()


def test_four_failures_do_not_lock(client, acme_analyst):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, acme_analyst.email, "wrong-password-123")
    assert _login(client, acme_analyst.email, PASSWORD).status_code == 302


def test_the_lock_holds_only_for_that_address(client, acme_analyst):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, acme_analyst.email, "wrong-password-123", REMOTE_ADDR="198.51.100.7")
    assert (
        _login(Browser(), acme_analyst.email, PASSWORD, REMOTE_ADDR="198.51.100.8").status_code
        == 302
    )


def test_a_forged_forwarded_for_header_does_not_escape_the_lock(client, acme_analyst):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(
            client,
            acme_analyst.email,
            "wrong-password-123",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{attempt}",
        )
    response = _login(client, acme_analyst.email, PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert response.status_code == 429


def test_login_gives_a_new_session_key(client, acme_analyst):
    client.get(reverse("login"))
    client.session["probe"] = 1
    before = client.session.session_key
    _login(client, acme_analyst.email, PASSWORD)
    assert client.session.session_key != before


def test_sessions_last_at_most_eight_hours(client, acme_analyst):
    _login(client, acme_analyst.email, PASSWORD)
    expiry = client.session.get_expiry_date()
    assert timedelta(hours=7, minutes=59) < expiry - timezone.now() <= timedelta(hours=8)
    assert settings.SESSION_SAVE_EVERY_REQUEST is False


def test_logout_is_a_post_that_ends_the_session(client, acme_analyst):
    _login(client, acme_analyst.email, PASSWORD)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[0][1] == 302
    assert "You are logged out." in response.content.decode()
    assert client.get(reverse("profile")).status_code == 302
    # Said once: the next visit of the login page is a plain one.
    assert "You are logged out." not in client.get(reverse("login")).content.decode()


def test_staff_without_a_client_land_on_the_admin(as_user, db):
    from tests.factories import StaffFactory

    response = as_user(StaffFactory()).get("/")
    assert response.status_code == 302 and response.url == reverse("admin:index")


@pytest.mark.parametrize("role_fixture", ["acme_admin", "acme_manager", "acme_analyst"])
def test_every_role_sees_the_dashboard(request, as_user, role_fixture):
    assert as_user(request.getfixturevalue(role_fixture)).get("/").status_code == 200


def test_a_login_longer_than_any_email_is_a_form_error_not_a_server_error(client, db):
    # The lockout records each failed login's username in a 255-character column: an overlong
    # one used to reach it and fail on PostgreSQL.
    response = client.post("/accounts/login/", {"username": "a" * 300, "password": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors["username"]


def test_an_empty_submit_says_what_is_missing(client, db):
    response = client.post("/accounts/login/", {"username": "", "password": ""})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter your email." in page and "Enter your password." in page
