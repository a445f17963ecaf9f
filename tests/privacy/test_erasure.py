from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from calls.models import Call, Contact, Recording
from calls.services import media_store
from privacy.audit import AuditAction, AuditEvent, identifier_hash
from privacy.erasure import contact_erase_across_clients, contact_preview_across_clients
from privacy.models import DataSubjectRequest, RequestScope, RequestSource, RequestStatus
from privacy.services import erasure_request_file, request_execute
from tests.factories import (
    CallFactory,
    ClientFactory,
    ContactFactory,
    ExportJobFactory,
)

PHONE = "+33612345678"


@pytest.fixture
def holders(acme, globex, acme_admin, globex_admin, acme_number, globex_number):
    """The number called both Acme and Globex (with audio); Initech holds another number only."""
    calls = {}
    for client, number in ((acme, acme_number), (globex, globex_number)):
        contact = ContactFactory(client=client, phone_number=PHONE)
        call = CallFactory(
            client=client, tracking_number=number, contact=contact, duration_seconds=61
        )
        media_store(
            call=call, kind="recording", content_type="audio/wav", chunks=[b"recorded voice"]
        )
        media_store(
            call=call, kind="voicemail", content_type="audio/wav", chunks=[b"left a message"]
        )
        CallFactory(client=client, tracking_number=number, contact=contact)
        calls[client.slug] = call
    initech = ClientFactory(slug="initech")
    other = CallFactory(
        client=initech, contact=ContactFactory(client=initech, phone_number="+33699999999")
    )
    return calls, other


def test_the_preview_lists_what_each_client_holds(holders):
    preview = contact_preview_across_clients(phone=PHONE)
    assert {
        match.client.slug: (match.calls, match.recordings, match.voicemails)
        for match in preview.matches
    } == {
        "acme": (2, 1, 1),
        "globex": (2, 1, 1),
    }
    assert [
        m.client.slug
        for m in contact_preview_across_clients(
            phone=PHONE, client=holders[0]["acme"].client
        ).matches
    ] == ["acme"]


def test_erasure_in_one_client_leaves_the_other_intact(holders, acme):
    contact_erase_across_clients(phone=PHONE, client=acme)
    assert not Contact.objects.across_clients().filter(client=acme).exists()
    assert Contact.objects.across_clients().filter(phone_number=PHONE).count() == 1  # Globex's
    assert (
        Recording.objects.across_clients().filter(client_id=holders[0]["globex"].client_id).count()
        == 1
    )


def test_erasure_keeps_the_call_facts_for_statistics(holders, acme):
    call = holders[0]["acme"]
    contact_erase_across_clients(phone=PHONE, client=acme)
    call.refresh_from_db()
    assert call.contact_id is None and call.duration_seconds == 61 and call.status == "answered"
    assert call.has_recording is False and call.has_voicemail is False


def test_an_interrupted_erasure_finishes_when_run_again(holders, monkeypatch):
    from calls.services import contacts as services

    real_shred, shredded = services.media_shred, []

    def crash_on_the_third(**kwargs):
        if len(shredded) == 2:
            raise RuntimeError("worker killed")
        shredded.append(kwargs["media"].pk)
        return real_shred(**kwargs)

    monkeypatch.setattr(services, "media_shred", crash_on_the_third)
    with pytest.raises(RuntimeError):
        contact_erase_across_clients(phone=PHONE)
    assert Contact.objects.across_clients().filter(phone_number=PHONE).exists()  # stopped halfway
    monkeypatch.setattr(services, "media_shred", real_shred)
    contact_erase_across_clients(phone=PHONE)
    assert not Contact.objects.across_clients().filter(phone_number=PHONE).exists()
    assert not Recording.objects.across_clients().exists()
    assert not Call.objects.across_clients().filter(contact__phone_number=PHONE).exists()


def test_a_request_from_the_contact_notifies_exactly_the_affected_clients(holders, acme, globex):
    request = erasure_request_file(
        client=None,
        phone=PHONE,
        source=RequestSource.CONTACT,
        scope=RequestScope.ALL_CLIENTS,
        verified=True,
    )
    request_execute(subject_request=request, actor=None)
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == ["alice@acme.example", "gina@globex.example"]
    assert all(PHONE not in message.body for message in mail.outbox)


def test_a_done_request_keeps_only_a_keyed_hash_and_the_counts(holders):
    request = erasure_request_file(
        client=None, phone=PHONE, source=RequestSource.DPO, scope=RequestScope.ALL_CLIENTS
    )
    request_execute(subject_request=request, actor=None)
    request.refresh_from_db()
    assert request.status == RequestStatus.DONE and request.subject == ""
    assert request.subject_hash == identifier_hash(PHONE)
    assert request.result["total"] == {
        "contacts": 2,
        "calls": 4,
        "recordings": 2,
        "voicemails": 2,
        "export_jobs": 0,
        "users": 0,
    }
    assert {entry["client"] for entry in request.result["per_client"]} == {"Acme", "Globex"}
    assert not mail.outbox  # filed by the DPO: no notification


def test_audit_rows_carry_no_clear_identifiers(holders):
    contact_erase_across_clients(phone=PHONE)
    events = AuditEvent.objects.filter(action=AuditAction.REQUEST_EXECUTED)
    assert events.count() == 2
    for event in AuditEvent.objects.all():
        text = str(event.metadata) + event.actor_hash
        assert PHONE not in text and PHONE.lstrip("+") not in text


def test_erase_contact_command_dry_run_then_run(holders, capsys):
    call_command("erase_contact", "--phone", "+33 6 12 34 56 78", "--dry-run")
    output = capsys.readouterr().out
    assert "acme: 2 calls, 1 recordings, 1 voice messages" in output and "nothing changed" in output
    assert Contact.objects.across_clients().filter(phone_number=PHONE).count() == 2
    call_command("erase_contact", "--phone", PHONE, "--client", "globex")
    assert "Erased in 1 account(s): 2 calls anonymised" in capsys.readouterr().out
    assert Contact.objects.across_clients().filter(phone_number=PHONE).count() == 1


def test_erase_contact_refuses_bad_input(db):
    with pytest.raises(CommandError, match="international format"):
        call_command("erase_contact", "--phone", "not a number")
    with pytest.raises(CommandError, match="No Client has the slug"):
        call_command("erase_contact", "--phone", PHONE, "--client", "nope")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_after_an_all_clients_erasure_no_trace_of_the_number_remains_in_a_dump_or_the_storage(
    holders, tmp_path
):
    out_of_scope = "+33699999999"
    request = erasure_request_file(
        client=None, phone=PHONE, source=RequestSource.DPO, scope=RequestScope.ALL_CLIENTS
    )
    # The export filter of a background job holds the number too.
    ExportJobFactory(client=holders[0]["acme"].client, query={"caller_number": PHONE})
    request_execute(subject_request=request, actor=None)
    db = connection.settings_dict
    pg_dump = shutil.which("pg_dump") or "/usr/bin/pg_dump"
    dump = subprocess.run(
        [
            pg_dump,
            "-h",
            db["HOST"] or "127.0.0.1",
            "-p",
            str(db["PORT"] or 5432),
            "-U",
            db["USER"],
            "--data-only",
            db["NAME"],
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""},
    ).stdout
    assert PHONE not in dump and PHONE.lstrip("+") not in dump
    assert out_of_scope in dump  # a number out of scope stays
    for path in settings.RECORDING_STORAGE_DIR.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert PHONE.encode() not in data and PHONE.lstrip("+").encode() not in data
    assert DataSubjectRequest.objects.get().status == RequestStatus.DONE


def test_replay_erasures_erases_again_what_a_restore_brought_back(holders, acme, capsys):
    request = erasure_request_file(
        client=None, phone=PHONE, source=RequestSource.DPO, scope=RequestScope.ALL_CLIENTS
    )
    request_execute(subject_request=request, actor=None)
    # A restore of a backup taken before the erasure brings the Contact and its calls back.
    restored = ContactFactory(client=acme, phone_number=PHONE)
    call = CallFactory(client=acme, contact=restored)
    untouched = ContactFactory(client=acme, phone_number="+33677777777")
    call_command("replay_erasures")
    assert "erased 1 Contact(s) again" in capsys.readouterr().out
    assert not Contact.objects.across_clients().filter(phone_number=PHONE).exists()
    call.refresh_from_db()
    assert call.contact_id is None
    assert Contact.objects.across_clients().filter(pk=untouched.pk).exists()


def test_replay_respects_a_one_account_scope(holders, acme, globex):
    request = erasure_request_file(client=acme, phone=PHONE, source=RequestSource.CLIENT)
    request_execute(subject_request=request, actor=None)
    ContactFactory(client=acme, phone_number=PHONE)
    call_command("replay_erasures")
    assert list(
        Contact.objects.across_clients()
        .filter(phone_number=PHONE)
        .values_list("client__slug", flat=True)
    ) == ["globex"]
