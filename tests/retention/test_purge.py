from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
import time
from zoneinfo import ZoneInfo

import pytest
from axes.models import AccessAttempt, AccessLog
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection

from accounts.models import User
from accounts.retention_policy import months_before, policy_for
from calls.models import Call, Contact, Recording
from calls.services import media_store
from privacy.audit import AuditAction, AuditEvent
from retention.models import RetentionJob, RetentionRun, RunStatus
from retention.services import _job_lock, _lock_key, _lock_path, run_job
from tests.factories import CallFactory, ContactFactory

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=PARIS)


@pytest.mark.parametrize(
    "moment, months, expected",
    [
        (dt.datetime(2026, 3, 31, 10, 0), 1, dt.datetime(2026, 2, 28, 10, 0)),
        (dt.datetime(2028, 3, 31, 10, 0), 1, dt.datetime(2028, 2, 29, 10, 0)),
        (dt.datetime(2028, 2, 29, 10, 0), 24, dt.datetime(2026, 2, 28, 10, 0)),
        (dt.datetime(2026, 11, 29, 12, 0), 24, dt.datetime(2024, 11, 29, 12, 0)),
        (dt.datetime(2026, 1, 15, 0, 0), 6, dt.datetime(2025, 7, 15, 0, 0)),
    ],
)
def test_months_are_calendar_months_with_month_ends_clamped(moment, months, expected):
    assert months_before(moment, months) == expected


def test_a_call_one_second_younger_than_24_months_stays_and_one_second_older_goes(
    acme, acme_number
):
    boundary = dt.datetime(2024, 11, 29, 12, 0, tzinfo=PARIS)
    young = CallFactory(
        client=acme, tracking_number=acme_number, started_at=boundary + dt.timedelta(seconds=1)
    )
    old = CallFactory(
        client=acme, tracking_number=acme_number, started_at=boundary - dt.timedelta(seconds=1)
    )
    run = run_job(RetentionJob.CALLS, now=NOW)
    assert run.status == RunStatus.DONE and run.counts["calls"] == 1
    assert list(Call.objects.across_clients().all()) == [young]
    assert not Call.objects.across_clients().filter(pk=old.pk).exists()


def test_purging_calls_shreds_their_media_and_drops_contacts_left_without_calls(
    acme, acme_number, settings
):
    old_when = NOW - dt.timedelta(days=800)
    lonely = ContactFactory(client=acme, phone_number="+33611111111")
    shared = ContactFactory(client=acme, phone_number="+33622222222")
    old = CallFactory(client=acme, tracking_number=acme_number, contact=lonely, started_at=old_when)
    CallFactory(client=acme, tracking_number=acme_number, contact=shared, started_at=old_when)
    CallFactory(
        client=acme,
        tracking_number=acme_number,
        contact=shared,
        started_at=NOW - dt.timedelta(days=10),
    )
    media_store(call=old, kind="recording", content_type="audio/wav", chunks=[b"audio"])
    path = settings.RECORDING_STORAGE_DIR / Recording.objects.across_clients().get().storage_name
    run = run_job(RetentionJob.CALLS, now=NOW)
    assert run.counts == {"calls": 2, "recordings": 1, "contacts": 1}
    assert not path.exists() and not Recording.objects.across_clients().exists()
    assert list(Contact.objects.across_clients().values_list("phone_number", flat=True)) == [
        "+33622222222"
    ]


def test_a_contact_whose_calls_span_batches_goes_with_the_last_of_them(
    acme, acme_number, monkeypatch
):
    monkeypatch.setattr("retention.services.CALL_BATCH", 2)
    old_when = NOW - dt.timedelta(days=800)
    caller = ContactFactory(client=acme, phone_number="+33633333333")
    for days in (0, 0, 0, 1, 2):  # ties at a batch edge, then older calls in later batches
        CallFactory(
            client=acme,
            tracking_number=acme_number,
            contact=caller,
            started_at=old_when - dt.timedelta(days=days),
        )
    run = run_job(RetentionJob.CALLS, now=NOW)
    assert run.counts == {"calls": 5, "contacts": 1}
    assert run.batches == 3
    assert (
        not Contact.objects.across_clients().exists() and not Call.objects.across_clients().exists()
    )


def test_recordings_go_after_six_months_and_the_call_stays(acme, acme_number):
    old = CallFactory(
        client=acme, tracking_number=acme_number, started_at=NOW - dt.timedelta(days=200)
    )
    recent = CallFactory(
        client=acme, tracking_number=acme_number, started_at=NOW - dt.timedelta(days=100)
    )
    for call in (old, recent):
        media_store(call=call, kind="recording", content_type="audio/wav", chunks=[b"audio"])
        media_store(call=call, kind="voicemail", content_type="audio/wav", chunks=[b"message"])
    run = run_job(RetentionJob.RECORDINGS, now=NOW)
    assert run.counts == {"recordings": 1, "voicemails": 1}
    old.refresh_from_db()
    assert (
        Call.objects.across_clients().filter(pk=old.pk).exists()
        and old.has_recording is False
        and old.has_voicemail is False
    )
    assert Recording.objects.across_clients().get().call == recent


def test_a_client_may_keep_less_never_more(acme, acme_number):
    acme.call_retention_months = 25
    with pytest.raises(ValidationError) as error:
        acme.full_clean()
    assert "call_retention_months" in error.value.message_dict
    acme.call_retention_months = 12
    acme.full_clean()
    acme.save()
    assert policy_for(acme).call_months == 12
    CallFactory(client=acme, tracking_number=acme_number, started_at=NOW - dt.timedelta(days=400))
    assert run_job(RetentionJob.CALLS, now=NOW).counts["calls"] == 1


def test_users_go_90_days_after_the_contract_ends(
    acme, acme_admin, acme_analyst, globex, globex_admin
):
    acme.contract_start, acme.contract_end = dt.date(2024, 1, 1), dt.date(2026, 8, 30)
    acme.save()
    assert run_job(RetentionJob.USERS, now=dt.datetime(2026, 11, 28, tzinfo=PARIS)).counts == {}
    run = run_job(RetentionJob.USERS, now=dt.datetime(2026, 11, 29, 12, tzinfo=PARIS))
    assert run.counts == {"users": 2}
    assert list(User.objects.all()) == [globex_admin]


def test_login_records_go_after_90_days(db):
    from django.utils import timezone

    old = AccessLog.objects.create(
        username="a@b.example",
        ip_address="203.0.113.1",
        user_agent="",
        http_accept="",
        path_info="/",
    )
    AccessLog.objects.filter(pk=old.pk).update(attempt_time=timezone.now() - dt.timedelta(days=91))
    AccessLog.objects.create(
        username="c@d.example",
        ip_address="203.0.113.2",
        user_agent="",
        http_accept="",
        path_info="/",
    )
    AccessAttempt.objects.create(
        username="e@f.example",
        ip_address="203.0.113.3",
        user_agent="",
        get_data="",
        post_data="",
        http_accept="",
        path_info="/",
        failures_since_start=1,
    )
    run = run_job(RetentionJob.LOGINS)
    assert run.counts["accesslog"] == 1
    assert AccessLog.objects.count() == 1 and AccessAttempt.objects.count() == 1


def test_a_dry_run_counts_and_changes_nothing(acme, acme_number):
    CallFactory.create_batch(
        3, client=acme, tracking_number=acme_number, started_at=NOW - dt.timedelta(days=800)
    )
    run = run_job(RetentionJob.CALLS, now=NOW, dry_run=True)
    assert run.dry_run and run.counts["calls"] == 3
    assert Call.objects.across_clients().count() == 3


def test_a_crash_between_batches_then_a_rerun_finishes_the_job(acme, acme_number, monkeypatch):
    monkeypatch.setattr("retention.services.CALL_BATCH", 2)
    old = NOW - dt.timedelta(days=800)
    CallFactory.create_batch(5, client=acme, tracking_number=acme_number, started_at=old)
    keep = CallFactory(
        client=acme, tracking_number=acme_number, started_at=NOW - dt.timedelta(days=1)
    )

    def crash() -> None:
        raise RuntimeError("worker killed")

    with pytest.raises(RuntimeError):
        run_job(RetentionJob.CALLS, now=NOW, between_batches=crash)
    assert (
        Call.objects.across_clients().count() == 4
    )  # the first batch of 2 is committed, nothing more
    assert RetentionRun.objects.get(status=RunStatus.FAILED).counts["calls"] == 2
    run = run_job(RetentionJob.CALLS, now=NOW)
    assert run.counts["calls"] == 3
    assert list(Call.objects.across_clients().all()) == [keep]


def test_the_purge_command_prints_what_it_did(acme, acme_number, capsys):
    CallFactory(client=acme, tracking_number=acme_number, started_at=NOW - dt.timedelta(days=900))
    call_command("purge_expired", "--dry-run", "--only", "calls")
    assert "calls: would purge 1 calls" in capsys.readouterr().out
    call_command("purge_expired", "--only", "calls")
    assert "calls: purged 1 calls" in capsys.readouterr().out
    assert AuditEvent.objects.filter(action=AuditAction.RETENTION_RUN).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_one_skips_and_counts_stay_right(acme, acme_number, monkeypatch):
    monkeypatch.setattr("retention.services.CALL_BATCH", 1)
    CallFactory.create_batch(
        4, client=acme, tracking_number=acme_number, started_at=NOW - dt.timedelta(days=800)
    )
    first_batch_done, release = threading.Event(), threading.Event()
    results = {}

    def slow_pause() -> None:
        first_batch_done.set()
        release.wait(10)

    def first() -> None:
        try:
            results["first"] = run_job(RetentionJob.CALLS, now=NOW, between_batches=slow_pause)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert first_batch_done.wait(10)
    second = run_job(RetentionJob.CALLS, now=NOW)
    release.set()
    thread.join()
    assert second.status == RunStatus.SKIPPED
    assert results["first"].status == RunStatus.DONE and results["first"].counts["calls"] == 4
    assert not Call.objects.across_clients().exists()


# The holder of a job's lock in another process: an advisory lock on PostgreSQL, a file elsewhere.
HOLDER = """
import fcntl, json, sys, time
settings, key, path = json.loads(sys.argv[1])
if settings:
    import psycopg2
    db = psycopg2.connect(**settings)
    db.cursor().execute("SELECT pg_advisory_lock(%s)", [key])
else:
    handle = open(path, "a")
    fcntl.flock(handle, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(120)
"""


def _hold_in_another_process(job: str) -> subprocess.Popen[str]:
    settings = None
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        settings = {
            "dbname": db["NAME"],
            "user": db["USER"],
            "password": db["PASSWORD"],
            "host": db["HOST"],
            "port": db["PORT"],
        }
    key = int.from_bytes(_lock_key(job)[:8], "big", signed=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, json.dumps([settings, key, str(_lock_path(job))])],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_run_skips_while_another_process_holds_the_lock_and_goes_once_it_dies(acme, acme_number):
    CallFactory(client=acme, tracking_number=acme_number, started_at=NOW - dt.timedelta(days=800))
    holder = _hold_in_another_process(RetentionJob.CALLS)
    try:
        assert run_job(RetentionJob.CALLS, now=NOW).status == RunStatus.SKIPPED
        assert Call.objects.across_clients().count() == 1
    finally:
        holder.kill()  # a crash: the lock must die with its holder, no expiry to wait out
        holder.wait()
    deadline = time.monotonic() + 10  # PostgreSQL ends the session once it sees the socket close
    while True:
        with _job_lock(RetentionJob.CALLS) as acquired:
            if acquired or time.monotonic() > deadline:
                break
        time.sleep(0.05)
    run = run_job(RetentionJob.CALLS, now=NOW)
    assert run.status == RunStatus.DONE and run.counts["calls"] == 1
    assert not Call.objects.across_clients().exists()


def test_within_one_process_a_second_holder_is_refused_until_the_first_lets_go(db):
    if connection.vendor == "postgresql":
        pytest.skip("advisory locks are per session: the threaded test above covers PostgreSQL")
    with _job_lock(RetentionJob.LOGINS) as first:
        with _job_lock(RetentionJob.LOGINS) as second:
            assert first and not second
        with _job_lock(RetentionJob.USERS) as other_job:
            assert other_job
    with _job_lock(RetentionJob.LOGINS) as again:
        assert again
