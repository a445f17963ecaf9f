"""Celery adapters: ids in, reload, call a service (STYLE.md §6)."""

from __future__ import annotations

import logging

from celery import shared_task

from telephony import services

logger = logging.getLogger(__name__)

FETCH_RETRIES = 5
RETRY_BASE_SECONDS = 30  # then 60, 120, 240, 480: about 15 minutes in all


@shared_task(acks_late=True)
def provider_recording_fetch_task(recording_id: str, attempt: int = 0) -> None:
    """One attempt; a failure schedules the next with exponential backoff, the last gives up.

    The next attempt is a new message rather than Celery's Retry exception, so the outcome is the
    same with a worker and in eager mode (development, tests), where a raised Retry would reach
    the webhook that enqueued the task."""
    recording = services.provider_recording_get_across_clients(recording_id)
    if recording is None:
        return
    try:
        services.provider_recording_fetch(recording=recording)
    except services.FetchFailed as error:
        if attempt >= FETCH_RETRIES:
            services.provider_recording_give_up(recording=recording, error=str(error))
            return
        logger.info(
            "provider recording fetch will be retried",
            extra={"recording_id": recording_id, "attempt": attempt + 1},
        )
        provider_recording_fetch_task.apply_async(
            args=[recording_id, attempt + 1], countdown=RETRY_BASE_SECONDS * 2**attempt
        )
