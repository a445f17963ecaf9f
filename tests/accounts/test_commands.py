from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Client, User


def test_create_client_prints_what_it_did(db, capsys):
    call_command("create_client", "Initech", "--slug", "initech", "--contract-end", "2027-12-31")
    client = Client.objects.get(slug="initech")
    assert str(client.contract_end) == "2027-12-31"
    assert "Created Client 'Initech'" in capsys.readouterr().out


def test_create_client_refuses_a_taken_slug(acme):
    with pytest.raises(CommandError, match="slug"):
        call_command("create_client", "Acme Two", "--slug", "acme")


def test_create_client_refuses_a_malformed_date(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command(
            "create_client", "Initech", "--slug", "initech", "--contract-end", "31/12/2027"
        )
    assert not Client.objects.exists()


def test_create_user_creates_a_user_with_the_given_role(acme, capsys):
    call_command(
        "create_user",
        "--client",
        "acme",
        "--email",
        "Dan@Acme.example",
        "--role",
        "manager",
        "--password",
        "a-long-enough-passphrase",
    )
    user = User.objects.get(email="dan@acme.example")
    assert user.role == "manager" and user.client == acme
    assert "Created manager dan@acme.example in acme." in capsys.readouterr().out


def test_create_user_names_an_unknown_client(db):
    with pytest.raises(CommandError, match="No Client has the slug 'nope'"):
        call_command(
            "create_user",
            "--client",
            "nope",
            "--email",
            "a@b.example",
            "--role",
            "admin",
            "--password",
            "x" * 20,
        )


def test_create_user_refuses_an_unknown_role(acme):
    with pytest.raises(CommandError, match="role"):
        call_command(
            "create_user",
            "--client",
            "acme",
            "--email",
            "a@b.example",
            "--role",
            "owner",
            "--password",
            "x" * 20,
        )


def test_create_user_refuses_a_weak_password_without_writing(acme):
    with pytest.raises(CommandError, match="at least 12"):
        call_command(
            "create_user",
            "--client",
            "acme",
            "--email",
            "a@b.example",
            "--role",
            "admin",
            "--password",
            "short",
        )
    assert not User.objects.exists()


def test_create_user_refuses_a_duplicate_email(acme, acme_admin):
    with pytest.raises(CommandError, match="email"):
        call_command(
            "create_user",
            "--client",
            "acme",
            "--email",
            acme_admin.email,
            "--role",
            "admin",
            "--password",
            "a-long-enough-passphrase",
        )


def test_create_user_without_a_password_and_no_terminal_says_how(acme, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(CommandError, match="--password"):
        call_command("create_user", "--client", "acme", "--email", "a@b.example", "--role", "admin")


def test_create_staff_creates_a_dpo(db, capsys):
    call_command(
        "create_staff",
        "--email",
        "dpo@dexem.example",
        "--group",
        "DPO",
        "--password",
        "a-long-staff-passphrase",
    )
    staff = User.objects.get(email="dpo@dexem.example")
    assert staff.is_staff and not staff.is_superuser
    assert "Created staff dpo@dexem.example in group DPO." in capsys.readouterr().out


def test_create_staff_refuses_an_unknown_group(db):
    with pytest.raises(CommandError):
        call_command(
            "create_staff", "--email", "x@dexem.example", "--group", "Sales", "--password", "x" * 20
        )


def test_seed_demo_is_idempotent_and_prints_the_logins(db, capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    output = capsys.readouterr().out
    assert "admin@demo.dexem.example" in output and "demo-password-2026" in output
    assert User.objects.filter(client__slug="demo").count() == 3
