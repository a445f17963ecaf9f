from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.api_keys import key_split
from accounts.models import ApiKey
from calls.models import Call


def test_create_api_key_prints_the_key_alone_on_the_last_line(acme, capsys):
    call_command("create_api_key", "--client", "acme", "--name", "Provider")
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert key_split(last_line) is not None
    assert ApiKey.objects.across_clients().get().scopes == ["ingest", "read"]


def test_create_api_key_takes_scopes(acme, capsys):
    call_command("create_api_key", "--client", "acme", "--name", "Reader", "--scopes", "read")
    assert ApiKey.objects.across_clients().get().scopes == ["read"]


def test_create_api_key_refuses_an_unknown_scope(acme):
    with pytest.raises(CommandError, match="scopes"):
        call_command("create_api_key", "--client", "acme", "--name", "X", "--scopes", "admin")
    assert not ApiKey.objects.across_clients().exists()


def test_create_api_key_names_an_unknown_client(db):
    with pytest.raises(CommandError, match="No Client has the slug"):
        call_command("create_api_key", "--client", "nope", "--name", "X")


def test_seed_demo_adds_calls_spread_over_two_years(db, capsys):
    call_command("seed_demo", "--calls", "300")
    calls = Call.objects.across_clients().filter(client__slug="demo")
    assert calls.count() == 300
    days = {call.started_at.date() for call in calls}
    assert max(days) - min(days) > __import__("datetime").timedelta(days=600)
    statuses = set(calls.values_list("status", flat=True))
    assert {"answered", "missed", "voicemail"} <= statuses
    call_command("seed_demo", "--calls", "300")
    assert calls.count() == 300


def test_seed_demo_makes_several_clients(db):
    call_command("seed_demo", "--clients", "2", "--calls", "10")
    assert Call.objects.across_clients().filter(client__slug="demo-2").count() == 10
