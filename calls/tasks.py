"""Celery adapters: ids in, reload, call a service (STYLE.md §6)."""

from __future__ import annotations

import logging

from celery import shared_task

from calls import services
from calls.models import ExportJob

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def export_job_run_task(job_id: str) -> None:
    # The task is handed an id its own service just created: reloading it names no Client.
    job = (
        ExportJob.objects.across_clients()
        .select_related("client", "requested_by")
        .filter(pk=job_id)
        .first()
    )
    if job is None:
        return
    try:
        services.export_job_run(job=job)
    except Exception:
        logger.exception("export job failed", extra={"job_id": job_id})
        services.export_job_fail(job=job, error="The export failed; please try again.")


@shared_task(acks_late=True)
def export_jobs_purge_task() -> int:
    return services.export_jobs_purge_expired_across_clients()
