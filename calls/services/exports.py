"""Exports: their audit records and the background Excel jobs (created, run, shredded)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Client
from calls.exports import export_rows, write_xlsx
from calls.filters import CallFilters, ExportRequest, export_request_parse
from calls.media.objects import object_delete, object_write
from calls.models import (
    ExportJob,
    ExportJobStatus,
)
from calls.selectors import call_list
from calls.services.media import key_then_file_destroy
from privacy.audit import AuditAction, audit_record

logger = logging.getLogger(__name__)


def export_record(
    *, client: Any, actor: Any, action: AuditAction, metadata: dict[str, Any]
) -> None:
    """Audit an export: who, when, which filters (phone numbers hashed), how many rows."""
    audit_record(action=action, actor=actor, client_id=client.pk, metadata=metadata)


# --- Background Excel exports --------------------------------------------------------------------

EXPORT_LIFETIME = dt.timedelta(hours=24)
# Expired exports shredded per run of the hourly purge (the rest wait for the next); cost not
# measured.
EXPORT_PURGE_PER_RUN = 1_000


EXPORT_JOB_OPEN = (ExportJobStatus.QUEUED, ExportJobStatus.RUNNING)


class ExportJobLimitReached(Exception):
    """The Client already has EXPORT_JOBS_MAX_OPEN_PER_CLIENT exports in preparation."""

    def __init__(self, open_jobs: list[ExportJob]) -> None:
        super().__init__(f"{len(open_jobs)} exports are already being prepared")
        self.open_jobs = open_jobs


def export_job_request(
    *,
    client: Client,
    requested_by: Any,
    filters: CallFilters,
    total_rows: int,
    sort: str = "newest",
) -> tuple[ExportJob, bool]:
    """A background Excel export for these filters: (job, created).

    The same requester asking again for the same filters while a job is queued or running gets
    that job back; past EXPORT_JOBS_MAX_OPEN_PER_CLIENT open jobs the Client is refused
    (ExportJobLimitReached). A job still open after EXPORT_LIFETIME is taken for dead (its worker
    lost) and no longer counts, so a crash cannot lock a Client out of exports for good."""
    # Imported here: calls.tasks imports this module (the task is a thin adapter over it).
    from calls.tasks import export_job_run_task

    query = ExportRequest(filters=filters, sort=sort).job_query()
    with transaction.atomic():
        # One request at a time per Client decides, so concurrent clicks cannot pass the cap.
        Client.objects.select_for_update().filter(pk=client.pk).first()
        open_jobs = list(
            ExportJob.objects.for_client(client).filter(
                status__in=EXPORT_JOB_OPEN, created_at__gt=timezone.now() - EXPORT_LIFETIME
            )
        )
        for job in open_jobs:
            if job.requested_by_id == getattr(requested_by, "pk", None) and job.query == query:
                return job, False
        if len(open_jobs) >= settings.EXPORT_JOBS_MAX_OPEN_PER_CLIENT:
            raise ExportJobLimitReached(open_jobs)
        job = ExportJob.objects.create(
            client=client, requested_by=requested_by, query=query, total_rows=total_rows
        )
        transaction.on_commit(lambda: export_job_run_task.delay(str(job.pk)))
    return job, True


def export_job_run(*, job: ExportJob) -> ExportJob:
    """Write the job's Excel file, encrypt it into storage, mark it ready. Safe to run twice:
    a finished job is left alone, an interrupted one starts over."""

    if job.status in (ExportJobStatus.DONE, ExportJobStatus.FAILED):
        return job
    this_job = ExportJob.objects.filter(client_id=job.client_id, pk=job.pk)
    this_job.update(status=ExportJobStatus.RUNNING, progress_rows=0)
    asked = export_request_parse(job.query, client=job.client)
    filters = asked.filters
    calls = call_list(client=job.client, filters=filters, sort=asked.sort)

    def progress(rows: int) -> None:
        this_job.update(progress_rows=rows)

    handle = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)  # noqa: SIM115
    handle.close()
    try:
        extra = filters.export_columns()
        rows = write_xlsx(
            export_rows(calls, client=job.client, extra=extra),
            handle.name,
            progress=progress,
            extra=extra,
        )
        with open(handle.name, "rb") as written:
            stored = object_write(
                storage_name=f"{job.client_id}/exports/{job.pk}.dxm",
                object_id=job.pk,
                chunks=iter(lambda: written.read(1024 * 1024), b""),
                max_bytes=2**40,
                digest=False,
            )
    finally:
        os.unlink(handle.name)
    now = timezone.now()
    finished = this_job.update(
        status=ExportJobStatus.DONE,
        progress_rows=rows,
        total_rows=rows,
        finished_at=now,
        expires_at=now + EXPORT_LIFETIME,
        storage_name=stored.storage_name,
        stored_size=stored.stored_size,
        size_bytes=stored.size_bytes,
        key_id=stored.key_id,
        wrapped_key=stored.wrapped_key,
    )
    if not finished:
        # Shredded while it ran (a Contact's erasure, calls.services.contact_erase): the file it
        # just wrote may hold the erased number and must not outlive the job.
        object_delete(stored.storage_name)
        return job
    job.refresh_from_db()
    export_record(
        client=job.client,
        actor=job.requested_by,
        action=AuditAction.CALLS_EXPORTED,
        metadata={
            "format": "xlsx",
            "background": True,
            "filters": filters.for_audit(),
            "rows": rows,
        },
    )
    return job


def export_job_download_record(*, job: ExportJob, actor: Any) -> None:
    """Audit one download of a finished job (SPEC §6, §8): the file leaves Dexem again, maybe to
    someone other than who asked for it (another manager, an API key)."""
    filters = export_request_parse(job.query, client=job.client).filters
    export_record(
        client=job.client,
        actor=actor,
        action=AuditAction.CALLS_EXPORTED,
        metadata={
            "format": "xlsx",
            "background": True,
            "download": True,
            "job": str(job.pk),
            "filters": filters.for_audit(),
            "rows": job.total_rows,
        },
    )


def export_job_fail(*, job: ExportJob, error: str) -> None:
    ExportJob.objects.filter(client_id=job.client_id, pk=job.pk).exclude(
        status=ExportJobStatus.DONE
    ).update(status=ExportJobStatus.FAILED, error=error[:200])


def export_jobs_purge_expired_across_clients(*, now: dt.datetime | None = None) -> int:
    """Shred finished exports past their 24 hours (key first, then file), then forget the job."""
    now = now or timezone.now()
    purged = 0
    expired = ExportJob.objects.across_clients().filter(expires_at__lte=now).order_by("pk")
    for job in expired[:EXPORT_PURGE_PER_RUN]:
        export_job_shred(job=job)
        purged += 1
    return purged


def export_job_shred(*, job: ExportJob, actor: Any = None, reason: str = "") -> None:
    """Crypto-shred an export's file (key first, committed, then the file), then forget the job.

    Idempotent, like `media_shred`: a run interrupted anywhere finishes when run again."""
    key_then_file_destroy(ExportJob, job.client_id, job.pk, job.storage_name)
    deleted, _ = ExportJob.objects.filter(client_id=job.client_id, pk=job.pk).delete()
    if deleted and reason:
        logger.info(
            "export job shredded", extra={"client_id": str(job.client_id), "reason": reason}
        )
