"""The five retention jobs (SPEC §9, §13): batched, idempotent, resumable, one run at a time.

Each job deletes in batches, each its own transaction, so locks stay short and a crash loses at
most the batch under way; rerunning simply continues, since what is left is exactly what is still
expired. Two runs of a job never overlap: a PostgreSQL advisory lock (chosen over a Redis lock: it
dies with the database session of a crashed worker, so there is no expiry to tune against the
longest run, and it lives beside the rows it protects) makes the second one skip; on SQLite (the
embedded default, one machine) an exclusive lock on a file does the same.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Client, User
from accounts.retention_policy import months_before, policy_for
from accounts.services import user_delete
from attribution.services import (
    expired_visit_batch_delete_across_clients,
    expired_visits_count_across_clients,
    visit_retention_cutoff,
)
from calls.models import MEDIA_MODELS, Call
from calls.purge import (
    expired_call_batch,
    expired_call_batch_delete,
    expired_call_batch_media_shred,
)
from calls.services import media_shred
from privacy.audit import AuditAction, audit_record
from retention.models import RetentionJob, RetentionRun, RunStatus

logger = logging.getLogger(__name__)

# ~94 ms a batch of calls on average, the longest 383 ms, purging 500,084 expired calls of
# 1,000,000 in 248 batches (bench/results.md, bench/bench_retention.py).
CALL_BATCH = 5_000
MEDIA_BATCH = 200  # recordings shredded (key, then file) per batch; cost not measured
LOGIN_BATCH = 10_000  # cost not measured
LOGIN_RECORD_DAYS = 90


def _lock_key(job: str) -> bytes:
    return hashlib.sha256(f"dexem-retention-{job}".encode()).digest()


def _lock_path(job: str) -> Path:
    """The lock file of `job` on this (non-PostgreSQL) database: one per database and job."""
    database = str(connection.settings_dict["NAME"])
    digest = hashlib.sha256(database.encode() + _lock_key(job)).hexdigest()[:32]
    return Path(tempfile.gettempdir()) / f"dexem-retention-{digest}.lock"


@contextlib.contextmanager
def _job_lock(job: str) -> Iterator[bool]:
    """True when this run holds the job's lock; False when another run does.

    Either lock dies with its holder, so a crashed run never blocks the next and there is no
    expiry to tune: on PostgreSQL an advisory lock (with the session); elsewhere (SQLite, one
    machine) an exclusive `flock` on a file named after the database (with the process).
    """
    if connection.vendor != "postgresql":
        with open(_lock_path(job), "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    key = int.from_bytes(_lock_key(job)[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        (acquired,) = cursor.fetchone()
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


class _Run:
    def __init__(self, run: RetentionRun) -> None:
        self.run = run
        self.counts: dict[str, int] = {}

    def add(self, name: str, count: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + count

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        started = time.perf_counter()
        with transaction.atomic():
            yield
        self.run.batches += 1
        self.run.longest_batch_ms = max(
            self.run.longest_batch_ms, int((time.perf_counter() - started) * 1000)
        )


def run_job(
    job: str,
    *,
    dry_run: bool = False,
    now: dt.datetime | None = None,
    between_batches: Callable[[], None] | None = None,
) -> RetentionRun:
    """Run one retention job under its lock and record a RetentionRun (skipped if locked)."""
    now = now or timezone.now()
    run = RetentionRun.objects.create(job=job, dry_run=dry_run)
    with _job_lock(job) as acquired:
        if not acquired:
            run.status, run.finished_at = RunStatus.SKIPPED, timezone.now()
            run.save(update_fields=["status", "finished_at"])
            return run
        state = _Run(run)
        try:
            JOBS[job](
                state, now=now, dry_run=dry_run, between_batches=between_batches or (lambda: None)
            )
        except Exception as error:
            run.status, run.error = RunStatus.FAILED, type(error).__name__
            logger.exception("retention job failed", extra={"job": job})
            raise
        else:
            run.status = RunStatus.DONE
        finally:
            run.counts, run.finished_at = state.counts, timezone.now()
            run.save(
                update_fields=[
                    "status",
                    "error",
                    "counts",
                    "finished_at",
                    "batches",
                    "longest_batch_ms",
                ]
            )
            if not dry_run:
                audit_record(
                    action=AuditAction.RETENTION_RUN,
                    actor=None,
                    metadata={"job": job, "status": run.status, **state.counts},
                )
    return run


def _clients() -> Iterator[Client]:
    yield from Client.objects.order_by("pk").iterator(chunk_size=500)


def _local_cutoff(client: Client, now: dt.datetime, months: int) -> dt.datetime:
    return months_before(now.astimezone(client.tzinfo), months)


def _delete_ids(model: type[Any], ids: list[Any]) -> int:
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    prepared = [model._meta.pk.get_db_prep_value(value, connection) for value in ids]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DELETE FROM {table} WHERE {pk} = ANY(%s)", [prepared])
        else:
            cursor.execute(
                f"DELETE FROM {table} WHERE {pk} IN ({', '.join(['%s'] * len(prepared))})", prepared
            )
        return cursor.rowcount


def purge_calls(
    state: _Run, *, now: dt.datetime, dry_run: bool, between_batches: Callable[[], None]
) -> None:
    """Calls older than the Client's call period go, their media shredded first, then the
    Contacts left with no call."""
    for client in _clients():
        cutoff = _local_cutoff(client, now, policy_for(client).call_months)
        expired = Call.objects.for_client(client).filter(started_at__lt=cutoff)
        if dry_run:
            state.add("calls", expired.count())
            for kind, model in MEDIA_MODELS.items():
                state.add(
                    f"{kind}s", model.objects.for_client(client).filter(call__in=expired).count()
                )
            continue
        batch = None
        while batch := expired_call_batch(
            client=client, cutoff=cutoff, after=batch, size=CALL_BATCH
        ):
            for name, count in expired_call_batch_media_shred(client=client, batch=batch).items():
                state.add(name, count)
            with state.batch():
                calls, contacts = expired_call_batch_delete(batch=batch)
            state.add("calls", calls)
            state.add("contacts", contacts)
            between_batches()
            if batch.is_last:
                break


def purge_recordings(
    state: _Run, *, now: dt.datetime, dry_run: bool, between_batches: Callable[[], None]
) -> None:
    """Recordings and voice messages older than their period are shredded; the calls stay."""
    for client in _clients():
        cutoff = _local_cutoff(client, now, policy_for(client).recording_months)
        for kind, model in MEDIA_MODELS.items():
            expired = model.objects.for_client(client).filter(call__started_at__lt=cutoff)
            if dry_run:
                state.add(f"{kind}s", expired.count())
                continue
            while batch := list(expired.order_by("pk")[:MEDIA_BATCH]):
                for media in batch:
                    media_shred(media=media, reason="retention")
                state.add(f"{kind}s", len(batch))
                state.run.batches += 1
                between_batches()


def purge_users(
    state: _Run, *, now: dt.datetime, dry_run: bool, between_batches: Callable[[], None]
) -> None:
    """The Users of Clients whose contract ended more than the user period ago are erased."""
    today = now.date()
    for client in _clients():
        if client.contract_end is None:
            continue
        if (
            client.contract_end + dt.timedelta(days=policy_for(client).user_days_after_contract)
            >= today
        ):
            continue
        users = User.objects.for_client(client)
        if dry_run:
            state.add("users", users.count())
            continue
        for user in list(users.order_by("pk")):
            with state.batch():
                user_delete(user=user, enforce_last_admin=False)
            state.add("users", 1)
            between_batches()


def purge_logins(
    state: _Run, *, now: dt.datetime, dry_run: bool, between_batches: Callable[[], None]
) -> None:
    """django-axes records (attempts, failures, successful logins) older than 90 days."""
    cutoff = now - dt.timedelta(days=LOGIN_RECORD_DAYS)
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        expired = model.objects.filter(attempt_time__lt=cutoff)
        name = model._meta.model_name
        if dry_run:
            state.add(name, expired.count())
            continue
        while ids := list(expired.order_by("pk").values_list("pk", flat=True)[:LOGIN_BATCH]):
            with state.batch():
                state.add(name, _delete_ids(model, ids))
            between_batches()


def purge_visits(
    state: _Run, *, now: dt.datetime, dry_run: bool, between_batches: Callable[[], None]
) -> None:
    """Website visits last seen more than VISIT_RETENTION_DAYS ago that explain no call, with
    their leases; and attributions whose call the calls purge has deleted."""
    cutoff = visit_retention_cutoff(now)
    if dry_run:
        state.add("visits", expired_visits_count_across_clients(cutoff=cutoff))
        return
    while True:
        with state.batch():
            visits, attributions = expired_visit_batch_delete_across_clients(cutoff=cutoff)
        state.add("visits", visits)
        state.add("attributions", attributions)
        between_batches()
        if not visits and not attributions:
            break


JOBS: dict[str, Callable[..., None]] = {
    RetentionJob.CALLS: purge_calls,
    RetentionJob.RECORDINGS: purge_recordings,
    RetentionJob.USERS: purge_users,
    RetentionJob.LOGINS: purge_logins,
    RetentionJob.VISITS: purge_visits,
}
