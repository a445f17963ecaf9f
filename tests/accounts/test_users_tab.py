from __future__ import annotations

import uuid

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from tests.factories import UserFactory


def _users_tab_urls(target: User) -> list[str]:
    return [
        reverse("user-list"),
        reverse("user-create"),
        reverse("user-edit", args=[target.pk]),
        reverse("user-delete", args=[target.pk]),
    ]


@pytest.mark.parametrize("role_fixture", ["acme_manager", "acme_analyst"])
def test_roles_other_than_admin_get_403_on_every_users_tab_page(
    request, as_user, acme_admin, role_fixture
):
    user = request.getfixturevalue(role_fixture)
    browser = as_user(user)
    for url in _users_tab_urls(acme_admin):
        assert browser.get(url).status_code == 403, url
        assert browser.post(url, {}).status_code in (403, 405), url
    assert User.objects.filter(pk=acme_admin.pk).exists()


def test_an_outsider_gets_404_for_another_clients_user(as_user, acme_analyst, globex_admin):
    browser = as_user(globex_admin)
    for url in _users_tab_urls(acme_analyst)[2:]:
        assert browser.get(url).status_code == 404, url
        assert browser.post(url, {"email": "x@example.com"}).status_code == 404, url
    assert User.objects.filter(pk=acme_analyst.pk).exists()


def test_an_unknown_or_malformed_user_id_is_a_404(as_user, acme_admin):
    browser = as_user(acme_admin)
    assert browser.get(reverse("user-edit", args=[uuid.uuid4()])).status_code == 404
    assert browser.get("/users/not-a-uuid/edit/").status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page(client, acme_admin):
    for url in _users_tab_urls(acme_admin):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_the_list_shows_only_this_clients_users_with_role_and_status(
    as_user, acme_admin, acme_analyst, globex_admin
):
    acme_analyst.is_active = False
    acme_analyst.save()
    response = as_user(acme_admin).get(reverse("user-list"))
    body = response.content.decode()
    assert acme_analyst.email in body and "Deactivated" in body and "Analyst" in body
    assert globex_admin.email not in body


def test_the_list_is_paginated(as_user, acme, acme_admin):
    UserFactory.create_batch(30, client=acme)
    response = as_user(acme_admin).get(reverse("user-list"), {"page": 2})
    assert response.status_code == 200
    assert "Page 2 of 2" in response.content.decode()


def test_an_admin_creates_a_user_who_is_invited_by_email(as_user, acme_admin):
    response = as_user(acme_admin).post(
        reverse("user-create"),
        {
            "email": "New.Person@Acme.example",
            "first_name": "New",
            "last_name": "Person",
            "role": "manager",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.person@acme.example")
    assert user.client == acme_admin.client and user.role == Role.MANAGER
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new.person@acme.example"]
    assert "/accounts/reset/" in mail.outbox[0].body


def test_the_invitation_link_lets_the_new_user_choose_a_password_and_log_in(
    client, as_user, acme_admin
):
    as_user(acme_admin).post(
        reverse("user-create"),
        {
            "email": "newbie@acme.example",
            "first_name": "New",
            "last_name": "Bie",
            "role": "analyst",
        },
    )
    client.logout()
    link = next(
        line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line
    ).strip()
    path = link.split("testserver", 1)[1]
    response = client.get(path, follow=True)
    assert response.status_code == 200
    set_url = response.redirect_chain[-1][0]
    response = client.post(
        set_url,
        {"new_password1": "my-own-long-passphrase", "new_password2": "my-own-long-passphrase"},
    )
    assert response.status_code == 302
    login = client.post(
        reverse("login"), {"username": "newbie@acme.example", "password": "my-own-long-passphrase"}
    )
    assert login.status_code == 302 and login.url == "/"


@pytest.mark.parametrize(
    "data, field",
    [
        (
            {"email": "not-an-email", "first_name": "A", "last_name": "B", "role": "analyst"},
            "email",
        ),
        (
            {"email": "alice@acme.example", "first_name": "A", "last_name": "B", "role": "analyst"},
            "email",
        ),
        (
            {"email": "ok@acme.example", "first_name": "A", "last_name": "B", "role": "owner"},
            "role",
        ),
        (
            {"email": "ok@acme.example", "first_name": "", "last_name": "B", "role": "analyst"},
            "first_name",
        ),
        (
            {
                "email": "ok@acme.example",
                "first_name": "A",
                "last_name": "B",
                "role": "analyst",
                "phone_numbers": "12",
            },
            "phone_numbers",
        ),
    ],
)
def test_bad_input_on_create_shows_a_form_error_and_writes_nothing(
    as_user, acme_admin, data, field
):
    response = as_user(acme_admin).post(reverse("user-create"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert User.objects.count() == 1


def test_an_admin_edits_a_user_and_changes_the_role(as_user, acme_admin, acme_analyst):
    response = as_user(acme_admin).post(
        reverse("user-edit", args=[acme_analyst.pk]),
        {
            "email": acme_analyst.email,
            "first_name": "Charles",
            "last_name": "Analyst",
            "role": "manager",
            "phone_numbers": "+33 6 12 34 56 78",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    acme_analyst.refresh_from_db()
    assert (acme_analyst.first_name, acme_analyst.role) == ("Charles", Role.MANAGER)
    assert acme_analyst.phone_numbers == ["+33612345678"]


def test_an_admin_deactivates_a_user(as_user, acme_admin, acme_analyst):
    as_user(acme_admin).post(
        reverse("user-edit", args=[acme_analyst.pk]),
        {"email": acme_analyst.email, "first_name": "C", "last_name": "A", "role": "analyst"},
    )
    acme_analyst.refresh_from_db()
    assert not acme_analyst.is_active


def test_the_last_admin_cannot_demote_themselves_from_the_form(as_user, acme_admin):
    response = as_user(acme_admin).post(
        reverse("user-edit", args=[acme_admin.pk]),
        {
            "email": acme_admin.email,
            "first_name": "A",
            "last_name": "A",
            "role": "analyst",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "last active admin" in response.content.decode()
    acme_admin.refresh_from_db()
    assert acme_admin.role == Role.ADMIN


def test_delete_asks_for_confirmation_then_erases_on_post(as_user, acme_admin, acme_analyst):
    browser = as_user(acme_admin)
    page = browser.get(reverse("user-delete", args=[acme_analyst.pk]))
    assert page.status_code == 200 and "Delete permanently" in page.content.decode()
    assert User.objects.filter(pk=acme_analyst.pk).exists()
    response = browser.post(reverse("user-delete", args=[acme_analyst.pk]))
    assert response.status_code == 302
    assert not User.objects.filter(pk=acme_analyst.pk).exists()


def test_an_admin_cannot_delete_their_own_account_and_is_not_offered_to(as_user, acme_admin):
    browser = as_user(acme_admin)
    listing = browser.get(reverse("user-list")).content.decode()
    assert reverse("user-delete", args=[acme_admin.pk]) not in listing
    response = browser.post(reverse("user-delete", args=[acme_admin.pk]))
    assert response.status_code == 400
    assert "You cannot delete your own account" in response.content.decode()
    assert User.objects.filter(pk=acme_admin.pk).exists()


def test_a_deleted_users_open_session_stops_working(client, as_user, acme_admin, acme_analyst):
    from django.test import Client as Browser

    victim = Browser()
    victim.post(
        reverse("login"), {"username": acme_analyst.email, "password": "correct-horse-battery-42"}
    )
    assert victim.get(reverse("profile")).status_code == 200
    as_user(acme_admin).post(reverse("user-delete", args=[acme_analyst.pk]))
    assert victim.get(reverse("profile")).status_code == 302


def test_an_invited_user_shows_as_invited_with_a_resend_button_until_they_choose_a_password(
    as_user, acme_admin, acme_analyst
):
    invited = UserFactory(client=acme_admin.client, role=Role.ANALYST, email="new@acme.example")
    invited.set_unusable_password()
    invited.save()
    page = as_user(acme_admin).get(reverse("user-list")).content.decode()
    resend = reverse("user-invitation-resend", args=[invited.pk])
    assert "Invited" in page and f'action="{resend}"' in page
    # A User with a password is Active, with nothing to resend.
    assert reverse("user-invitation-resend", args=[acme_analyst.pk]) not in page


def test_resending_an_invitation_emails_a_new_link_is_audited_and_not_repeated_at_once(
    as_user, acme_admin
):
    from privacy.models import AuditEvent

    invited = UserFactory(client=acme_admin.client, role=Role.ANALYST, email="new@acme.example")
    invited.set_unusable_password()
    invited.save()
    browser = as_user(acme_admin)
    url = reverse("user-invitation-resend", args=[invited.pk])
    assert browser.get(url).status_code == 405
    response = browser.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("user-list")
    assert "A new invitation was emailed" in response.content.decode()
    assert [message.to for message in mail.outbox] == [["new@acme.example"]]
    assert "/accounts/reset/" in mail.outbox[0].body
    event = AuditEvent.objects.filter(action="user.changed").get()
    assert event.metadata["fields"] == ["invitation"]
    again = browser.post(url, follow=True)
    assert "wait a few minutes" in again.content.decode()
    assert len(mail.outbox) == 1


def test_there_is_no_invitation_to_resend_once_a_password_is_chosen(
    as_user, acme_admin, acme_analyst
):
    response = as_user(acme_admin).post(
        reverse("user-invitation-resend", args=[acme_analyst.pk]), follow=True
    )
    assert "already chosen a password" in response.content.decode()
    assert mail.outbox == []


def test_another_clients_admin_cannot_resend_an_invitation(as_user, globex_admin, acme_analyst):
    response = as_user(globex_admin).post(reverse("user-invitation-resend", args=[acme_analyst.pk]))
    assert response.status_code == 404 and mail.outbox == []


def test_the_add_form_offers_the_analyst_role_by_default(as_user, acme_admin):
    form = as_user(acme_admin).get(reverse("user-create")).context["form"]
    assert form["role"].value() == Role.ANALYST


def test_the_list_shows_each_users_last_login_or_never(as_user, acme_admin, acme_analyst):
    import datetime as dt

    acme_analyst.last_login = dt.datetime(2026, 3, 4, 9, 30, tzinfo=dt.UTC)
    acme_analyst.save()
    browser = as_user(acme_admin)  # force_login sets the admin's own last login to now
    page = browser.get(reverse("user-list")).content.decode()
    assert "Last login" in page and 'datetime="2026-03-04T10:30:00+01:00"' in page
    acme_analyst.last_login = None
    acme_analyst.save()
    assert "Never" in browser.get(reverse("user-list")).content.decode()
