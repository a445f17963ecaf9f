"""The Users tab never tells a client admin whether an email is registered in another Client
(emails are the login, unique platform-wide): every taken email gets the same answer."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

PLACEHOLDER = "taken@placeholder.example"


def _form(email: str, **extra: str) -> dict[str, str]:
    return {"email": email, "first_name": "New", "last_name": "Person", "role": "analyst", **extra}


def _answer(response, email: str) -> tuple[int, dict[str, list[str]], str]:
    """The status, the form's errors and the page, less the posted address and the CSRF token
    (masked afresh on every page)."""
    errors = {field: list(messages) for field, messages in response.context["form"].errors.items()}
    body = response.content.decode().replace(email, PLACEHOLDER)
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body)
    return response.status_code, errors, body


def test_creating_a_user_with_a_taken_email_answers_alike_whoever_holds_it(
    as_user, acme_admin, acme_analyst, globex_admin
):
    staff = StaffFactory(email="dpo@dexem.example")
    browser = as_user(acme_admin)
    users_before = User.objects.count()

    answers = {
        email: _answer(browser.post(reverse("user-create"), _form(email.upper())), email.upper())
        for email in (acme_analyst.email, globex_admin.email, staff.email)
    }

    same_client, other_client, of_staff = answers.values()
    assert same_client == other_client == of_staff
    status, errors, body = same_client
    assert status == 200 and list(errors) == ["email"]
    assert "cannot be used for a new User" in errors["email"][0]
    assert "already exists" not in body and "another" not in errors["email"][0].lower()
    assert User.objects.count() == users_before
    assert mail.outbox == []


def test_changing_a_users_email_to_a_taken_one_answers_alike_whoever_holds_it(
    as_user, acme_admin, acme_analyst, acme_manager, globex_admin
):
    browser = as_user(acme_admin)
    url = reverse("user-edit", args=[acme_analyst.pk])

    answers = [
        _answer(
            browser.post(url, _form(email, is_active="on", first_name="Charlie")),
            email,
        )
        for email in (acme_manager.email, globex_admin.email)
    ]

    assert answers[0] == answers[1]
    assert list(answers[0][1]) == ["email"]
    assert "cannot be used for this User" in answers[0][1]["email"][0]
    assert "already exists" not in answers[0][2]
    acme_analyst.refresh_from_db()
    assert acme_analyst.email == "charlie@acme.example"


def test_a_users_own_unchanged_email_is_accepted_on_edit(as_user, acme_admin, acme_analyst):
    response = as_user(acme_admin).post(
        reverse("user-edit", args=[acme_analyst.pk]),
        _form(acme_analyst.email, role=Role.MANAGER, is_active="on"),
    )
    assert response.status_code == 302
    acme_analyst.refresh_from_db()
    assert acme_analyst.role == Role.MANAGER


def test_an_email_taken_after_the_forms_check_gets_the_same_answer(acme, globex_admin):
    from django.core.exceptions import ValidationError

    from accounts.forms import UserCreateForm
    from accounts.views import _add_service_errors

    form = UserCreateForm(_form("late@acme.example"))
    assert form.is_valid()
    duplicate = User(client=acme, role=Role.ANALYST, email=globex_admin.email, first_name="L")
    with pytest.raises(ValidationError) as raised:
        duplicate.full_clean(exclude=["password"])

    _add_service_errors(form, raised.value)

    assert form.errors["email"] == [str(UserCreateForm.taken_email_message)]


def test_changing_a_users_email_ends_their_sessions_and_warns_the_old_address(
    as_user, acme_admin, acme_analyst, django_capture_on_commit_callbacks
):
    from django.test import Client as DjangoClient

    analyst = DjangoClient()
    analyst.force_login(acme_analyst)
    browser = as_user(acme_admin)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            reverse("user-edit", args=[acme_analyst.pk]),
            _form("charlie.new@acme.example", is_active="on"),
        )

    assert response.status_code == 302
    assert analyst.get(reverse("user-list")).status_code == 302
    assert [message.to for message in mail.outbox] == [["charlie@acme.example"]]


def test_an_admin_changing_their_own_email_stays_logged_in(
    as_user, acme_admin, django_capture_on_commit_callbacks
):
    browser = as_user(acme_admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            reverse("user-edit", args=[acme_admin.pk]),
            _form("alice.new@acme.example", role=Role.ADMIN, is_active="on"),
        )

    assert response.status_code == 302
    assert browser.get(reverse("user-list")).status_code == 200
    assert [message.to for message in mail.outbox] == [["alice@acme.example"]]
