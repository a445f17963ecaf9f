"""Celery adapters: ids in, reload, call a service (STYLE.md §6)."""

from __future__ import annotations

import logging

from celery import shared_task

from telephony import services

logger = logging.getLogger(__name__)

FETCH_RETRIES = 5
RETRY_BASE_SECONDS = 30  # then 60, 120, 240, 480: about 15 minutes in all


@shared_task(bind=True, acks_late=True, max_retries=FETCH_RETRIES)
def provider_recording_fetch_task(self: object, recording_id: str) -> None:
    recording = services.provider_recording_get_across_clients(recording_id)
    if recording is None:
        return
    try:
        services.provider_recording_fetch(recording=recording)
    except services.FetchFailed as error:
        retries = self.request.retries  # type: ignore[attr-defined]
        if retries >= FETCH_RETRIES:
            services.provider_recording_give_up(recording=recording, error=str(error))
            return
        logger.info(
            "provider recording fetch will be retried",
            extra={"recording_id": recording_id, "attempt": retries + 1},
        )
        raise self.retry(countdown=RETRY_BASE_SECONDS * 2**retries) from None  # type: ignore[attr-defined]
