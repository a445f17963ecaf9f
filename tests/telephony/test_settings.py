"""The Client's telephony account: write-only token sealed under RECORDING_KEYS, audited changes,
admins only; staff in the admin; ops with set_telephony_account; rotation re-seals it."""

from __future__ import annotations

import base64
import io
import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from privacy.audit import AuditAction, AuditEvent
from telephony.models import TelephonyAccount
from telephony.services import telephony_account_set, telephony_account_token
from tests.factories import StaffFactory
from tests.telephony.conftest import ACME_SID, ACME_TOKEN, GLOBEX_SID

URL = "/settings/telephony/"
NEW_TOKEN = "a-fresh-token-0123456789abcdef"


def _form(**overrides: str) -> dict[str, str]:
    return {"provider": "twilio", "account_sid": ACME_SID, "auth_token": ACME_TOKEN, **overrides}


def test_an_admin_sets_the_account_and_the_token_is_sealed_never_shown(as_user, acme_admin, caplog):
    browser = as_user(acme_admin)
    response = browser.post(URL, _form())
    assert response.status_code == 302
    account = TelephonyAccount.objects.for_client(acme_admin.client).get()
    assert account.account_sid == ACME_SID
    assert ACME_TOKEN.encode() not in bytes(account.token_sealed)
    assert telephony_account_token(account) == ACME_TOKEN
    page = browser.get(URL)
    assert page.status_code == 200 and ACME_SID in page.content.decode()
    assert ACME_TOKEN not in page.content.decode()
    assert page["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action=AuditAction.TELEPHONY_CHANGED)
    assert event.metadata == {"fields": ["account_sid", "auth_token", "provider"]}
    assert ACME_TOKEN not in caplog.text and ACME_TOKEN not in str(event.metadata)


def test_an_account_sid_pasted_with_spaces_and_capitals_is_stored_as_the_provider_writes_it(
    as_user, acme_admin
):
    pasted = f"  ac{ACME_SID[2:].upper()} "
    assert as_user(acme_admin).post(URL, _form(account_sid=pasted)).status_code == 302
    assert TelephonyAccount.objects.for_client(acme_admin.client).get().account_sid == ACME_SID


def test_a_superuser_pastes_an_account_sid_in_the_admin_as_loosely_as_on_the_settings_page(
    as_verified_staff, acme
):
    browser = as_verified_staff(StaffFactory(email="ops@dexem.example", is_superuser=True))
    response = browser.post(
        "/admin/telephony/telephonyaccount/add/",
        {
            "client": str(acme.pk),
            "provider": "twilio",
            "account_sid": f" ac{ACME_SID[2:].upper()} ",
            "auth_token": ACME_TOKEN,
        },
    )
    assert response.status_code == 302
    assert TelephonyAccount.objects.for_client(acme).get().account_sid == ACME_SID


def test_a_blank_token_keeps_the_sealed_one(as_user, acme_admin, acme_account):
    other_sid = "AC" + "c3" * 16
    response = as_user(acme_admin).post(URL, _form(account_sid=other_sid, auth_token=""))
    assert response.status_code == 302
    account = TelephonyAccount.objects.for_client(acme_admin.client).get()
    assert (account.account_sid, telephony_account_token(account)) == (other_sid, ACME_TOKEN)
    event = AuditEvent.objects.filter(action=AuditAction.TELEPHONY_CHANGED).first()
    assert event.metadata == {"fields": ["account_sid"]}


@pytest.mark.parametrize(
    ("form", "field"),
    [
        (_form(auth_token=""), "auth_token"),
        (_form(account_sid="AC123"), "account_sid"),
        (_form(provider="skype"), "provider"),
    ],
)
def test_bad_settings_are_a_400_naming_the_field(as_user, acme_admin, form, field):
    response = as_user(acme_admin).post(URL, form)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not TelephonyAccount.objects.for_client(acme_admin.client).exists()


def test_another_clients_account_sid_cannot_be_taken(as_user, globex_admin, acme_account):
    response = as_user(globex_admin).post(URL, _form(auth_token="x" * 32))
    assert response.status_code == 400
    assert "account_sid" in response.context["form"].errors
    assert TelephonyAccount.objects.for_client(acme_account.client).get().account_sid == ACME_SID


def test_another_clients_admin_sees_nothing_of_this_account(as_user, globex_admin, acme_account):
    page = as_user(globex_admin).get(URL)
    assert page.status_code == 200 and ACME_SID not in page.content.decode()


@pytest.mark.parametrize("role", ["acme_manager", "acme_analyst"])
def test_managers_and_analysts_get_403(request, as_user, role):
    browser = as_user(request.getfixturevalue(role))
    assert browser.get(URL).status_code == 403
    assert browser.post(URL, _form()).status_code == 403
    assert not TelephonyAccount.objects.across_clients().exists()


def test_an_anonymous_visitor_is_sent_to_login(client, acme):
    assert client.get(URL).status_code == 302


def test_a_superuser_sets_an_account_in_the_admin_with_a_write_only_token(as_verified_staff, acme):
    browser = as_verified_staff(StaffFactory(email="ops@dexem.example", is_superuser=True))
    response = browser.post(
        "/admin/telephony/telephonyaccount/add/",
        {
            "client": str(acme.pk),
            "provider": "twilio",
            "account_sid": ACME_SID,
            "auth_token": ACME_TOKEN,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    account = TelephonyAccount.objects.for_client(acme).get()
    assert telephony_account_token(account) == ACME_TOKEN
    page = browser.get(f"/admin/telephony/telephonyaccount/{account.pk}/change/")
    assert page.status_code == 200 and ACME_TOKEN not in page.content.decode()
    assert AuditEvent.objects.get(action=AuditAction.TELEPHONY_CHANGED).actor_kind == "staff"


def test_the_command_takes_the_token_from_the_environment_only(acme, monkeypatch):
    monkeypatch.setenv("TELEPHONY_AUTH_TOKEN", ACME_TOKEN)
    out = io.StringIO()
    call_command(
        "set_telephony_account",
        "--client", "acme", "--provider", "twilio", "--account-sid", ACME_SID, stdout=out,
    )  # fmt: skip
    assert ACME_SID in out.getvalue() and ACME_TOKEN not in out.getvalue()
    assert telephony_account_token(TelephonyAccount.objects.for_client(acme).get()) == ACME_TOKEN
    with pytest.raises(CommandError):
        call_command(
            "set_telephony_account",
            "--client", "acme", "--provider", "twilio", "--account-sid", ACME_SID,
            "--auth-token", ACME_TOKEN,
        )  # fmt: skip


def test_the_command_without_a_token_nor_a_terminal_says_how(acme, monkeypatch):
    monkeypatch.delenv("TELEPHONY_AUTH_TOKEN", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO())
    with pytest.raises(CommandError, match="TELEPHONY_AUTH_TOKEN"):
        call_command(
            "set_telephony_account",
            "--client", "acme", "--provider", "twilio", "--account-sid", ACME_SID,
        )  # fmt: skip
    with pytest.raises(CommandError, match="slug"):
        call_command(
            "set_telephony_account",
            "--client", "nobody", "--provider", "twilio", "--account-sid", ACME_SID,
        )  # fmt: skip


def test_rotation_reseals_tokens_so_the_old_key_can_go(acme_account, globex, settings):
    telephony_account_set(
        client=globex, provider="twilio", account_sid=GLOBEX_SID, auth_token=NEW_TOKEN
    )
    old = dict(settings.RECORDING_KEYS)
    new_key = base64.b64decode(base64.b64encode(os.urandom(32)))
    settings.RECORDING_KEYS = {"next": new_key, **old}
    out = io.StringIO()
    call_command("rotate_recording_keys", stdout=out)
    assert "re-sealed 2 telephony token(s)" in out.getvalue()
    with override_settings(RECORDING_KEYS={"next": new_key}):
        accounts = {a.account_sid: a for a in TelephonyAccount.objects.across_clients()}
        assert {a.token_key_id for a in accounts.values()} == {"next"}
        assert telephony_account_token(accounts[ACME_SID]) == ACME_TOKEN
        assert telephony_account_token(accounts[GLOBEX_SID]) == NEW_TOKEN
    event = AuditEvent.objects.get(action=AuditAction.KEYS_ROTATED)
    assert event.metadata["telephony_token"] == 2


def test_a_sealed_token_opens_only_for_its_own_account(acme_account, globex):
    other = telephony_account_set(
        client=globex, provider="twilio", account_sid=GLOBEX_SID, auth_token=NEW_TOKEN
    )
    from telephony.sealing import TokenUnreadable, token_open

    with pytest.raises(TokenUnreadable):
        token_open(
            key_id=acme_account.token_key_id, sealed=acme_account.token_sealed, account_id=other.pk
        )
