"""Staff permissions in /admin/ are least privilege (SPEC §10): only a superuser grants staff or
superuser status, groups or permissions, or sets another User's password; the DPO edits personal
data only; Support looks after client Users but cannot raise anyone, itself included."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client as DjangoClient

from accounts import services
from accounts.models import User
from accounts.roles import Role
from tests.factories import PASSWORD, StaffFactory

pytestmark = pytest.mark.django_db

GROUP_OF = {"dpo": "DPO", "support": "Support"}


@pytest.fixture
def dpo(db) -> User:
    return services.staff_create(email="dpo@dexem.example", group="DPO", password=PASSWORD)


@pytest.fixture
def support(db) -> User:
    return services.staff_create(email="support@dexem.example", group="Support", password=PASSWORD)


@pytest.fixture
def superuser(db) -> User:
    return StaffFactory(email="root@dexem.example", is_superuser=True)


def _change_url(user: User) -> str:
    return f"/admin/accounts/user/{user.pk}/change/"


def _change_form(user: User, **overrides: Any) -> dict[str, Any]:
    """Every field the full change form could carry, as the browser would post them."""
    data: dict[str, Any] = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "initials": user.initials,
        "phone_numbers": "\n".join(user.phone_numbers),
        "organization": user.organization,
        "client": str(user.client_id or ""),
        "role": user.role,
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "is_superuser": "on" if user.is_superuser else "",
        "groups": [str(pk) for pk in user.groups.values_list("pk", flat=True)],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "_save": "Save",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value != ""}


def _all_permissions() -> list[str]:
    return [str(pk) for pk in Permission.objects.values_list("pk", flat=True)]


@pytest.mark.parametrize("staff_fixture", ["dpo", "support"])
def test_staff_cannot_make_themselves_superuser_or_join_groups(
    request, as_verified_staff, staff_fixture
):
    staff = request.getfixturevalue(staff_fixture)
    browser = as_verified_staff(staff)
    groups = [str(pk) for pk in Group.objects.values_list("pk", flat=True)]
    assert browser.get(_change_url(staff)).status_code == 200

    browser.post(
        _change_url(staff),
        _change_form(
            staff,
            is_superuser="on",
            groups=groups,
            user_permissions=_all_permissions(),
            first_name="Renamed",
        ),
    )

    staff.refresh_from_db()
    assert not staff.is_superuser
    assert [group.name for group in staff.groups.all()] == [GROUP_OF[staff_fixture]]
    assert not staff.user_permissions.exists()
    assert staff.first_name == "Renamed"  # their own personal data they may still correct


@pytest.mark.parametrize("staff_fixture", ["dpo", "support"])
def test_staff_cannot_make_a_client_user_staff_or_superuser(
    request, as_verified_staff, staff_fixture, acme_analyst
):
    browser = as_verified_staff(request.getfixturevalue(staff_fixture))
    groups = [str(pk) for pk in Group.objects.values_list("pk", flat=True)]

    browser.post(
        _change_url(acme_analyst),
        _change_form(
            acme_analyst,
            client="",
            role="",
            is_staff="on",
            is_superuser="on",
            groups=groups,
            user_permissions=_all_permissions(),
        ),
    )

    acme_analyst.refresh_from_db()
    assert not acme_analyst.is_staff and not acme_analyst.is_superuser
    assert acme_analyst.client_id is not None and acme_analyst.role == Role.ANALYST
    assert not acme_analyst.groups.exists() and not acme_analyst.user_permissions.exists()


def test_the_dpo_edits_personal_data_only(as_verified_staff, dpo, acme_analyst, acme_admin):
    browser = as_verified_staff(dpo)
    response = browser.post(
        _change_url(acme_analyst),
        _change_form(
            acme_analyst,
            last_name="Rectified",
            role=Role.ADMIN,
            is_active="",
            client=str(acme_admin.client_id),
        ),
    )
    assert response.status_code == 302

    acme_analyst.refresh_from_db()
    assert acme_analyst.last_name == "Rectified"
    assert acme_analyst.role == Role.ANALYST and acme_analyst.is_active


def test_support_changes_a_client_users_role_and_status(as_verified_staff, support, acme_analyst):
    browser = as_verified_staff(support)
    response = browser.post(
        _change_url(acme_analyst), _change_form(acme_analyst, role=Role.MANAGER, is_active="")
    )
    assert response.status_code == 302

    acme_analyst.refresh_from_db()
    assert acme_analyst.role == Role.MANAGER and not acme_analyst.is_active


@pytest.mark.parametrize("staff_fixture", ["dpo", "support"])
def test_staff_cannot_change_another_staff_account(
    request, as_verified_staff, staff_fixture, superuser
):
    browser = as_verified_staff(request.getfixturevalue(staff_fixture))
    original = superuser.email

    response = browser.post(
        _change_url(superuser), _change_form(superuser, email="mine@evil.example", is_active="")
    )

    assert response.status_code == 403
    superuser.refresh_from_db()
    assert superuser.email == original and superuser.is_active


@pytest.mark.parametrize("staff_fixture", ["dpo", "support"])
def test_staff_cannot_open_or_post_another_users_password_form(
    request, as_verified_staff, staff_fixture, acme_admin
):
    browser = as_verified_staff(request.getfixturevalue(staff_fixture))
    url = f"/admin/accounts/user/{acme_admin.pk}/password/"
    before = User.objects.get(pk=acme_admin.pk).password

    assert browser.get(url).status_code == 403
    response = browser.post(
        url,
        {
            "usable_password": "true",
            "password1": "a-new-password-9876",
            "password2": "a-new-password-9876",
        },
    )

    assert response.status_code == 403
    assert User.objects.get(pk=acme_admin.pk).password == before
    assert "/password/" not in browser.get(_change_url(acme_admin)).content.decode()


def test_support_creates_only_client_users_without_choosing_their_password(
    as_verified_staff, support, acme
):
    browser = as_verified_staff(support)
    response = browser.post(
        "/admin/accounts/user/add/",
        {
            "email": "New.Person@acme.example",
            "first_name": "New",
            "last_name": "Person",
            "client": str(acme.pk),
            "role": Role.MANAGER,
            "password1": "chosen-by-support-42",
            "password2": "chosen-by-support-42",
            "usable_password": "true",
            "is_staff": "on",
            "is_superuser": "on",
            "groups": [str(pk) for pk in Group.objects.values_list("pk", flat=True)],
        },
    )
    assert response.status_code == 302

    created = User.objects.get(email="new.person@acme.example")
    assert created.client == acme and created.role == Role.MANAGER
    assert not created.is_staff and not created.is_superuser and not created.groups.exists()
    assert not created.has_usable_password()
    assert [message.to for message in mail.outbox] == [["new.person@acme.example"]]


def test_support_cannot_create_a_user_outside_any_client(as_verified_staff, support):
    browser = as_verified_staff(support)
    response = browser.post(
        "/admin/accounts/user/add/",
        {"email": "floating@dexem.example", "first_name": "F", "last_name": "L", "role": ""},
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="floating@dexem.example").exists()


def test_a_superuser_grants_staff_status_groups_and_sets_a_password(
    as_verified_staff, superuser, dpo
):
    browser = as_verified_staff(superuser)
    support_group = Group.objects.get(name="Support")
    response = browser.post(
        _change_url(dpo),
        _change_form(
            dpo,
            is_superuser="on",
            groups=[str(pk) for pk in dpo.groups.values_list("pk", flat=True)]
            + [str(support_group.pk)],
        ),
    )
    assert response.status_code == 302
    dpo.refresh_from_db()
    assert dpo.is_superuser
    assert sorted(group.name for group in dpo.groups.all()) == ["DPO", "Support"]

    response = browser.post(
        f"/admin/accounts/user/{dpo.pk}/password/",
        {
            "usable_password": "true",
            "password1": "a-new-password-9876",
            "password2": "a-new-password-9876",
        },
    )
    assert response.status_code == 302
    dpo.refresh_from_db()
    assert dpo.check_password("a-new-password-9876")


def test_the_staff_groups_hold_no_permission_over_groups_permissions_or_deletion(db):
    for group in Group.objects.filter(name__in=services.STAFF_GROUPS):
        codenames = set(group.permissions.values_list("content_type__app_label", "codename"))
        assert not {app for app, _ in codenames} & {"auth", "otp_totp", "otp_static", "axes"}
        assert not [codename for _, codename in codenames if codename.startswith("delete_")]


@pytest.mark.parametrize("staff_fixture", ["dpo", "support"])
def test_staff_pages_show_no_input_for_privileges_or_passwords(
    request, as_verified_staff, staff_fixture, acme_analyst, superuser
):
    staff = request.getfixturevalue(staff_fixture)
    browser = as_verified_staff(staff)
    for target in (staff, acme_analyst, superuser):
        response = browser.get(_change_url(target))
        assert response.status_code == 200
        form = response.context["adminform"].form
        assert not {"is_staff", "is_superuser", "groups", "user_permissions", "password"} & set(
            form.fields
        )
    own = browser.get(_change_url(staff)).context["adminform"].form
    assert "first_name" in own.fields and "is_active" not in own.fields
    client_user = browser.get(_change_url(acme_analyst)).context["adminform"].form
    assert ("role" in client_user.fields) == (staff_fixture == "support")
    assert not browser.get(_change_url(superuser)).context["adminform"].form.fields


def test_the_superuser_sees_the_password_form_link_and_every_privilege_field(
    as_verified_staff, superuser, acme_analyst
):
    response = as_verified_staff(superuser).get(_change_url(acme_analyst))
    fields = set(response.context["adminform"].form.fields)
    assert {"password", "is_staff", "is_superuser", "groups", "user_permissions"} <= fields
    assert "../password/" in response.content.decode()


@pytest.mark.parametrize("staff_fixture", ["dpo", "support"])
def test_staff_cannot_change_a_client_users_login_email_to_reset_its_password(
    request, as_verified_staff, staff_fixture, acme_admin
):
    browser = as_verified_staff(request.getfixturevalue(staff_fixture))

    response = browser.post(
        _change_url(acme_admin),
        _change_form(acme_admin, email="attacker@evil.example", last_name="Rectified"),
    )

    assert response.status_code == 302
    acme_admin.refresh_from_db()
    assert acme_admin.email == "alice@acme.example" and acme_admin.last_name == "Rectified"
    browser.logout()
    mail.outbox.clear()
    browser.post("/accounts/password-reset/", {"email": "attacker@evil.example"})
    assert mail.outbox == []


@pytest.mark.parametrize("staff_fixture", ["dpo", "support"])
def test_the_login_email_is_shown_to_staff_but_not_as_an_input(
    request, as_verified_staff, staff_fixture, acme_admin
):
    browser = as_verified_staff(request.getfixturevalue(staff_fixture))

    body = browser.get(_change_url(acme_admin)).content.decode()

    assert acme_admin.email in body and 'name="email"' not in body


def test_a_superuser_changing_an_email_ends_the_users_sessions_and_warns_the_old_address(
    as_verified_staff, superuser, acme_admin, django_capture_on_commit_callbacks
):
    victim = DjangoClient()
    victim.force_login(acme_admin)
    assert victim.get("/settings/").status_code == 200
    reset_token = default_token_generator.make_token(acme_admin)
    browser = as_verified_staff(superuser)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            _change_url(acme_admin), _change_form(acme_admin, email="alice.new@acme.example")
        )

    assert response.status_code == 302
    acme_admin.refresh_from_db()
    assert acme_admin.email == "alice.new@acme.example"
    assert victim.get("/settings/").status_code == 302
    assert not default_token_generator.check_token(acme_admin, reset_token)
    assert [message.to for message in mail.outbox] == [["alice@acme.example"]]
    assert "alice.new@acme.example" not in mail.outbox[0].body
    # The superuser's own session is untouched.
    assert browser.get(_change_url(acme_admin)).status_code == 200


@pytest.mark.parametrize("staff_fixture", ["dpo", "superuser"])
def test_emptying_the_phone_numbers_box_stores_no_numbers(
    request, as_verified_staff, staff_fixture, acme_analyst
):
    acme_analyst.phone_numbers = ["+33612345678"]
    acme_analyst.save(update_fields=["phone_numbers"])
    browser = as_verified_staff(request.getfixturevalue(staff_fixture))

    response = browser.post(
        _change_url(acme_analyst), {**_change_form(acme_analyst), "phone_numbers": ""}
    )

    assert response.status_code == 302
    acme_analyst.refresh_from_db()
    assert acme_analyst.phone_numbers == []


@pytest.mark.parametrize("staff_fixture", ["dpo", "superuser"])
def test_the_phone_numbers_box_takes_one_number_a_line_and_refuses_junk(
    request, as_verified_staff, staff_fixture, acme_analyst
):
    browser = as_verified_staff(request.getfixturevalue(staff_fixture))
    url = _change_url(acme_analyst)

    response = browser.post(url, _change_form(acme_analyst, phone_numbers="not a number"))
    assert (
        response.status_code == 200 and "phone_numbers" in response.context["adminform"].form.errors
    )

    response = browser.post(url, _change_form(acme_analyst, phone_numbers="+33 6 12 34 56 78\n"))
    assert response.status_code == 302
    acme_analyst.refresh_from_db()
    assert acme_analyst.phone_numbers == ["+33612345678"]


def test_the_admin_is_branded_dexem_with_its_favicon_in_the_readers_language(
    as_verified_staff, superuser
):
    browser = as_verified_staff(superuser)
    page = browser.get("/admin/").content.decode()
    assert "Dexem administration" in page and "Django administration" not in page
    assert 'rel="icon" href="/static/favicon.svg"' in page
    superuser.language = "fr"
    superuser.save()
    assert "Administration Dexem" in browser.get("/admin/").content.decode()
