"""Celery adapters of the retention jobs: thin, safe to run twice (the jobs are idempotent and
locked), acknowledged only once done (acks_late) so a crashed worker's job runs again."""

from __future__ import annotations

from celery import shared_task

from retention.models import RetentionJob
from retention.services import run_job


def _run(job: str) -> dict[str, int]:
    return run_job(job).counts


@shared_task(acks_late=True)
def purge_calls_task() -> dict[str, int]:
    return _run(RetentionJob.CALLS)


@shared_task(acks_late=True)
def purge_recordings_task() -> dict[str, int]:
    return _run(RetentionJob.RECORDINGS)


@shared_task(acks_late=True)
def purge_users_task() -> dict[str, int]:
    return _run(RetentionJob.USERS)


@shared_task(acks_late=True)
def purge_logins_task() -> dict[str, int]:
    return _run(RetentionJob.LOGINS)


@shared_task(acks_late=True)
def purge_visits_task() -> dict[str, int]:
    return _run(RetentionJob.VISITS)
