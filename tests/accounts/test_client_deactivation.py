"""A deactivated Client's Users and keys are refused and its sessions end (SPEC §10)."""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client as Browser
from django.urls import reverse

from accounts import services
from accounts.models import Client, UserSession
from tests.factories import PASSWORD, StaffFactory


def _login(browser: Browser, email: str, password: str = PASSWORD):
    return browser.post(reverse("login"), {"username": email, "password": password})


def _deactivate_behind_the_apps_back(client: Client) -> None:
    """As a direct SQL update would: no session is ended, only the flag changes."""
    Client.objects.filter(pk=client.pk).update(is_active=False)


def test_a_user_of_a_deactivated_client_cannot_log_in(client, acme, acme_analyst):
    services.client_deactivate(client=acme)

    response = _login(client, acme_analyst.email)

    assert response.status_code == 200
    assert "This account is inactive." in response.content.decode()
    assert SESSION_KEY not in client.session
    assert client.get(reverse("call-list")).status_code == 302


def test_a_wrong_password_for_a_deactivated_client_gives_no_hint(client, acme, acme_analyst):
    services.client_deactivate(client=acme)

    body = _login(client, acme_analyst.email, "wrong-password-123").content.decode()

    assert "inactive" not in body and "correct email" in body.lower()


def test_an_open_page_session_is_ended_and_sent_to_the_login_page(client, acme, acme_analyst):
    assert _login(client, acme_analyst.email).status_code == 302
    assert client.get(reverse("call-list")).status_code == 200
    session_key = client.session.session_key

    _deactivate_behind_the_apps_back(acme)
    response = client.get(reverse("call-list"))

    assert response.status_code == 302 and response.url == reverse("login")
    assert not Session.objects.filter(session_key=session_key).exists()
    assert SESSION_KEY not in client.session
    assert client.get(reverse("call-list")).status_code == 302


def test_an_api_request_on_an_open_session_is_refused(client, acme, acme_number, acme_analyst):
    assert _login(client, acme_analyst.email).status_code == 302
    assert client.get("/api/v1/calls/").status_code == 200

    _deactivate_behind_the_apps_back(acme)
    response = client.get("/api/v1/calls/")

    assert response.status_code in (401, 403)
    assert client.get("/api/v1/calls/").status_code in (401, 403)


def test_a_deactivated_clients_api_keys_are_refused(acme, acme_api, acme_number):
    assert acme_api.get("/api/v1/calls/").status_code == 200

    services.client_deactivate(client=acme)

    assert acme_api.get("/api/v1/calls/").status_code == 401


def test_deactivating_a_client_ends_its_users_sessions_only(
    acme, acme_analyst, acme_admin, globex_admin
):
    browsers = {user: Browser() for user in (acme_analyst, acme_admin, globex_admin)}
    for user, browser in browsers.items():
        assert _login(browser, user.email).status_code == 302

    ended = services.client_deactivate(client=acme)

    assert ended == 2
    acme.refresh_from_db()
    assert not acme.is_active
    assert not UserSession.objects.filter(user__client=acme).exists()
    assert UserSession.objects.filter(user=globex_admin).count() == 1
    assert browsers[globex_admin].get(reverse("call-list")).status_code == 200


def test_deactivating_a_client_in_the_admin_ends_its_users_sessions(
    as_verified_staff, acme, acme_analyst
):
    browser = Browser()
    assert _login(browser, acme_analyst.email).status_code == 302
    session_key = browser.session.session_key
    admin = as_verified_staff(StaffFactory(email="root@dexem.example", is_superuser=True))

    response = admin.post(
        f"/admin/accounts/client/{acme.pk}/change/",
        {
            "name": acme.name,
            "slug": acme.slug,
            "country": acme.country,
            "time_zone": acme.time_zone,
            "contract_start": acme.contract_start.isoformat(),
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    acme.refresh_from_db()
    assert not acme.is_active
    assert not Session.objects.filter(session_key=session_key).exists()


def test_staff_without_a_client_are_not_affected(as_verified_staff, acme):
    _deactivate_behind_the_apps_back(acme)
    admin = as_verified_staff(StaffFactory(email="root@dexem.example", is_superuser=True))
    assert admin.get("/admin/").status_code == 200
