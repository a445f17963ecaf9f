"""Erasure and restriction of a Contact (SPEC §8; the privacy app's erasure service calls these)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from calls.models import (
    MEDIA_MODELS,
    Call,
    Contact,
    MediaKind,
)
from calls.selectors import export_jobs_holding_contact
from calls.services.exports import export_job_shred
from calls.services.media import media_shred

logger = logging.getLogger(__name__)


# Calls detached from their Contact per transaction: short locks on a busy table.
DETACH_BATCH = 5_000  # cost not measured


@dataclass(frozen=True)
class ContactErasure:
    """What erasing one Contact removed in its Client's account (counts only)."""

    calls: int = 0
    recordings: int = 0
    voicemails: int = 0
    export_jobs: int = 0


def contact_erase(*, contact: Contact, actor: Any = None) -> ContactErasure:
    """Erase one Contact from its Client's account: the exports that may hold its number, its
    recordings and voice messages (crypto-shredded), its number on its calls, then the Contact.

    The anonymous call facts stay for statistics. Batched and rerunnable: each step finds what is
    left through the Contact, which goes last, so a rerun after a crash finishes the job."""
    export_jobs = 0
    for job in export_jobs_holding_contact(contact=contact):
        export_job_shred(job=job, actor=actor, reason="erasure")
        export_jobs += 1
    shredded = {kind: 0 for kind in MEDIA_MODELS}
    for kind, model in MEDIA_MODELS.items():
        for media in model.objects.for_client(contact.client).filter(call__contact=contact):
            media_shred(media=media, actor=actor, reason="erasure")
            shredded[kind] += 1
    detached = 0
    calls = Call.objects.for_client(contact.client).filter(contact=contact)
    while ids := list(calls.values_list("pk", flat=True)[:DETACH_BATCH]):
        with transaction.atomic():
            detached += (
                Call.objects.for_client(contact.client).filter(pk__in=ids).update(contact=None)
            )
    Contact.objects.for_client(contact.client).filter(pk=contact.pk).delete()
    return ContactErasure(
        calls=detached,
        recordings=shredded[MediaKind.RECORDING],
        voicemails=shredded[MediaKind.VOICEMAIL],
        export_jobs=export_jobs,
    )


def contact_restrict(*, contact: Contact, actor: Any = None) -> Contact:
    """Restrict the processing of a Contact's data (GDPR art. 18): its calls stay, its recordings
    and voice messages no longer play and its calls are left out of the call list and exports."""
    if contact.restricted_at is None:
        contact.restricted_at = timezone.now()
        contact.save(update_fields=["restricted_at"])
    return contact


def contact_lift_restriction(*, contact: Contact, actor: Any = None) -> Contact:
    if contact.restricted_at is not None:
        contact.restricted_at = None
        contact.save(update_fields=["restricted_at"])
    return contact
