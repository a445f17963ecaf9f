from __future__ import annotations

import os

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import services
from accounts.models import User, UserSession
from accounts.roles import Role
from tests.factories import UserFactory


def _session_for(user: User) -> str:
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store.create()
    services.user_session_register(user=user, session_key=store.session_key)
    return store.session_key


def test_user_create_normalises_the_email_and_derives_initials(acme):
    user = services.user_create(
        client=acme,
        email="  Zoe.Kim@Example.COM ",
        first_name="Zoé",
        last_name="Kim",
        role=Role.MANAGER,
    )
    assert user.email == "zoe.kim@example.com"
    assert user.initials == "ZK"
    assert not user.has_usable_password()


def test_user_create_refuses_a_duplicate_email_in_any_case(acme, acme_admin):
    with pytest.raises(ValidationError) as error:
        services.user_create(
            client=acme, email="ALICE@acme.example", first_name="A", last_name="B", role="analyst"
        )
    assert "email" in error.value.message_dict
    assert User.objects.count() == 1


def test_user_create_refuses_an_unknown_role_without_writing(acme):
    with pytest.raises(ValidationError) as error:
        services.user_create(
            client=acme, email="x@example.com", first_name="X", last_name="Y", role="owner"
        )
    assert "role" in error.value.message_dict
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "password, reason",
    [
        ("short-pw1", "at least 12"),
        ("123456789012345", "entirely numeric"),
        ("password1234", "too common"),
    ],
)
def test_user_create_applies_the_password_policy(acme, password, reason):
    with pytest.raises(ValidationError) as error:
        services.user_create(
            client=acme,
            email="x@example.com",
            first_name="X",
            last_name="Y",
            role="analyst",
            password=password,
        )
    assert reason in " ".join(error.value.messages)
    assert not User.objects.exists()


def test_the_last_admin_cannot_be_demoted(acme_admin):
    with pytest.raises(ValidationError, match="last active admin"):
        services.user_update(user=acme_admin, role=Role.ANALYST)
    acme_admin.refresh_from_db()
    assert acme_admin.role == Role.ADMIN


def test_the_last_admin_cannot_be_deactivated(acme_admin):
    with pytest.raises(ValidationError, match="last active admin"):
        services.user_update(user=acme_admin, is_active=False)


def test_the_last_admin_cannot_be_deleted(acme_admin):
    with pytest.raises(ValidationError, match="last active admin"):
        services.user_delete(user=acme_admin)
    assert User.objects.filter(pk=acme_admin.pk).exists()


def test_an_admin_can_be_demoted_when_another_admin_remains(acme, acme_admin):
    UserFactory(client=acme, role=Role.ADMIN)
    services.user_update(user=acme_admin, role=Role.MANAGER)
    acme_admin.refresh_from_db()
    assert acme_admin.role == Role.MANAGER


def test_another_clients_admin_does_not_count_as_a_second_admin(acme_admin, globex_admin):
    with pytest.raises(ValidationError):
        services.user_update(user=acme_admin, role=Role.ANALYST)


def test_deactivating_a_user_ends_their_sessions(acme_admin, acme_analyst):
    key = _session_for(acme_analyst)
    services.user_update(user=acme_analyst, is_active=False)
    assert not Session.objects.filter(session_key=key).exists()


def test_deleting_a_user_erases_sessions_login_records_and_picture(
    acme_admin, acme_analyst, django_capture_on_commit_callbacks
):
    key = _session_for(acme_analyst)
    AccessAttempt.objects.create(
        username=acme_analyst.email,
        ip_address="203.0.113.9",
        user_agent="t",
        failures_since_start=2,
        get_data="",
        post_data="",
        http_accept="",
        path_info="/accounts/login/",
    )
    AccessFailureLog.objects.create(
        username=acme_analyst.email,
        ip_address="203.0.113.9",
        user_agent="t",
        http_accept="",
        path_info="/",
        locked_out=False,
    )
    services.user_profile_picture_set(
        user=acme_analyst,
        picture=SimpleUploadedFile("me.png", b"\x89PNG fake", content_type="image/png"),
    )
    picture_path = acme_analyst.profile_picture.path

    with django_capture_on_commit_callbacks(execute=True):
        services.user_delete(user=acme_analyst)

    assert not User.objects.filter(pk=acme_analyst.pk).exists()
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.exists()
    assert not AccessAttempt.objects.filter(username=acme_analyst.email).exists()
    assert not AccessFailureLog.objects.filter(username=acme_analyst.email).exists()
    assert not os.path.exists(picture_path)


def test_a_password_change_ends_the_other_sessions_but_not_the_current_one(acme_analyst):
    current, other = _session_for(acme_analyst), _session_for(acme_analyst)
    services.user_password_change(
        user=acme_analyst, new_password="a-much-better-passphrase", current_session_key=current
    )
    assert Session.objects.filter(session_key=current).exists()
    assert not Session.objects.filter(session_key=other).exists()
    acme_analyst.refresh_from_db()
    assert acme_analyst.check_password("a-much-better-passphrase")


def test_staff_are_created_in_their_group_without_a_client(db):
    staff = services.staff_create(
        email="dpo@dexem.example", group="DPO", password="a-long-staff-passphrase"
    )
    assert staff.is_staff and staff.client is None and staff.role == ""
    assert list(staff.groups.values_list("name", flat=True)) == ["DPO"]


def test_staff_creation_refuses_an_unknown_group(db):
    with pytest.raises(ValidationError):
        services.staff_create(
            email="x@dexem.example", group="Sales", password="a-long-staff-passphrase"
        )
    assert not User.objects.exists()


def test_client_create_refuses_a_taken_slug(acme):
    with pytest.raises(ValidationError) as error:
        services.client_create(name="Acme bis", slug="acme")
    assert "slug" in error.value.message_dict


def test_client_create_refuses_an_unknown_time_zone(db):
    with pytest.raises(ValidationError) as error:
        services.client_create(name="Initech", slug="initech", time_zone="Mars/Olympus")
    assert "time_zone" in error.value.message_dict
