"""Every write of the calls app (STYLE.md §2)."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Client
from accounts.phones import normalize_e164
from calls.exports import export_rows, write_xlsx
from calls.filters import CallFilters, call_filters_parse
from calls.media import keys
from calls.media.objects import object_delete, object_write
from calls.models import (
    AUDIO_CONTENT_TYPES,
    MEDIA_FLAGS,
    MEDIA_MODELS,
    Call,
    CallStatus,
    Contact,
    Direction,
    ExportJob,
    ExportJobStatus,
    MediaKind,
    MediaObject,
    TrackingNumber,
)
from calls.selectors import call_list, export_jobs_holding_contact
from calls.signals import call_ingested, calls_changed, media_keys_rotating
from calls.upserts import call_ingest_postgresql
from privacy.audit import AuditAction, AuditEvent, actor_of, audit_record, identifier_hash

logger = logging.getLogger(__name__)

UNKNOWN_TRACKING_NUMBER = "No active tracking number of your account has this number."


# The default announcement per language (SPEC §12). The Client has no language of its own yet:
# its time zone tells (a later issue on languages replaces this with the Client's setting).
ANNOUNCEMENTS = {
    "fr": "Cet appel est susceptible d'être enregistré.",
    "de": "Dieser Anruf kann aufgezeichnet werden.",
    "es": "Esta llamada puede ser grabada.",
    "it": "Questa chiamata potrebbe essere registrata.",
    "nl": "Dit gesprek kan worden opgenomen.",
    "en": "This call may be recorded.",
}
_ZONE_LANGUAGES = {
    "Europe/Paris": "fr",
    "Europe/Brussels": "fr",
    "Europe/Luxembourg": "fr",
    "Europe/Monaco": "fr",
    "America/Montreal": "fr",
    "America/Toronto": "en",
    "Europe/Berlin": "de",
    "Europe/Vienna": "de",
    "Europe/Zurich": "de",
    "Europe/Madrid": "es",
    "Europe/Rome": "it",
    "Europe/Amsterdam": "nl",
}


def client_language(client: Client) -> str:
    language = getattr(client, "language", "") or _ZONE_LANGUAGES.get(client.time_zone, "en")
    return language if language in ANNOUNCEMENTS else "en"


def announcement_default(*, client: Client) -> str:
    return ANNOUNCEMENTS[client_language(client)]


# The fields of a tracking number a Client may change after creating it (SPEC §5, §12).
TRACKING_NUMBER_EDITABLE = (
    "source",
    "campaign",
    "active",
    "forward_to",
    "record_calls",
    "announcement",
    "voicemail",
    "ring_seconds",
)


def _forward_to_clean(value: str | None) -> str:
    if not value:
        return ""
    try:
        return normalize_e164(value)
    except ValidationError as error:
        raise ValidationError({"forward_to": error.messages}) from None


def tracking_number_create(
    *,
    client: Client,
    number: str,
    source: str,
    campaign: str = "",
    forward_to: str | None = "",
    record_calls: bool = False,
    announcement: str = "",
    voicemail: bool = True,
    ring_seconds: int = 20,
    pool: bool = False,
    actor: Any = None,
) -> TrackingNumber:
    try:
        number = normalize_e164(number)
    except ValidationError as error:
        raise ValidationError({"number": error.messages}) from None
    if TrackingNumber.objects.for_client(client).filter(number=number).exists():
        raise ValidationError({"number": ["Your account already has this tracking number."]})
    tracking_number = TrackingNumber(
        client=client,
        number=number,
        source=source.strip(),
        campaign=campaign.strip(),
        pool=pool,
        forward_to=_forward_to_clean(forward_to),
        record_calls=record_calls,
        announcement=announcement.strip() or announcement_default(client=client),
        voicemail=voicemail,
        ring_seconds=ring_seconds,
    )
    tracking_number.full_clean(validate_unique=False)
    try:
        tracking_number.save()
    except IntegrityError:
        raise ValidationError(
            {"number": ["Your account already has this tracking number."]}
        ) from None
    logger.info("tracking number created", extra={"client_id": str(client.pk)})
    _tracking_number_record(AuditAction.TRACKING_NUMBER_ADDED, tracking_number, actor)
    return tracking_number


def tracking_number_update(
    *, tracking_number: TrackingNumber, actor: Any = None, **changes: Any
) -> TrackingNumber:
    """Change the editable fields given (others stay); audited with the field names only."""
    unknown = sorted(set(changes) - set(TRACKING_NUMBER_EDITABLE))
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in unknown})
    if "forward_to" in changes:
        changes["forward_to"] = _forward_to_clean(changes["forward_to"])
    for name in ("source", "campaign", "announcement"):
        if name in changes:
            changes[name] = (changes[name] or "").strip()
    if "announcement" in changes and not changes["announcement"]:
        changes["announcement"] = announcement_default(client=tracking_number.client)
    changed = [name for name, value in changes.items() if getattr(tracking_number, name) != value]
    if not changed:
        return tracking_number
    for name in changed:
        setattr(tracking_number, name, changes[name])
    tracking_number.full_clean(validate_unique=False)
    with transaction.atomic():
        tracking_number.save(update_fields=changed)
        _tracking_number_record(
            AuditAction.TRACKING_NUMBER_CHANGED, tracking_number, actor, fields=sorted(changed)
        )
    return tracking_number


def tracking_number_set_active(
    *, tracking_number: TrackingNumber, active: bool, actor: Any = None
) -> TrackingNumber:
    if tracking_number.active != active:
        tracking_number.active = active
        tracking_number.save(update_fields=["active"])
        _tracking_number_record(
            AuditAction.TRACKING_NUMBER_CHANGED
            if active
            else AuditAction.TRACKING_NUMBER_DEACTIVATED,
            tracking_number,
            actor,
            fields=["active"],
        )
    return tracking_number


def _tracking_number_record(
    action: AuditAction,
    tracking_number: TrackingNumber,
    actor: Any,
    fields: list[str] | None = None,
) -> None:
    metadata: dict[str, Any] = {"number": identifier_hash(tracking_number.number)}
    if fields:
        metadata["fields"] = fields
    audit_record(
        action=action,
        actor=actor,
        client_id=tracking_number.client_id,
        object_type="tracking_number",
        object_id=tracking_number.pk,
        metadata=metadata,
    )


def call_ingest(
    *,
    client: Client,
    external_id: str,
    tracking_number: str,
    caller_number: str | None,
    status: str,
    started_at: dt.datetime,
    duration_seconds: int = 0,
    direction: str = Direction.INBOUND,
) -> tuple[Call, bool]:
    """Create the call, or update the one with this `external_id` (idempotent, race-safe).

    Numbers arrive normalised (E.164). Returns the call and whether it was created. Once the
    ingesting transaction commits, `call_ingested` is sent (both paths below).
    """
    ingested = _call_store(
        client=client,
        external_id=external_id,
        tracking_number=tracking_number,
        caller_number=caller_number,
        status=status,
        started_at=started_at,
        duration_seconds=duration_seconds,
        direction=direction,
    )
    transaction.on_commit(
        functools.partial(_call_ingested_send, call_id=ingested[0].pk, client_id=client.pk)
    )
    return ingested


def _call_store(
    *,
    client: Client,
    external_id: str,
    tracking_number: str,
    caller_number: str | None,
    status: str,
    started_at: dt.datetime,
    duration_seconds: int,
    direction: str,
) -> tuple[Call, bool]:
    if status not in CallStatus.values:
        raise ValidationError({"status": [f"Unknown status {status!r}."]})
    if direction not in Direction.values:
        raise ValidationError({"direction": [f"Unknown direction {direction!r}."]})
    if connection.vendor == "postgresql":  # the hot path, in one prepared statement
        now = timezone.now()
        call = Call(
            client=client,
            external_id=external_id,
            direction=direction,
            status=status,
            started_at=started_at,
            duration_seconds=duration_seconds,
            created_at=now,
            updated_at=now,
        )
        # One transaction with the aggregates' mark (calls_changed): a crash between the two
        # cannot leave a day's aggregate behind its calls.
        with transaction.atomic():
            ingested = call_ingest_postgresql(
                call, tracking_number=tracking_number, caller_number=caller_number
            )
            if ingested is None:
                raise ValidationError({"tracking_number": [UNKNOWN_TRACKING_NUMBER]})
            call, created, previous_start = ingested
            _calls_changed(client, started_at, previous_start)
        return call, created
    # Elsewhere (SQLite, the embedded default) the plain ORM: its transactions are IMMEDIATE
    # (settings), so concurrent ingestions of one external_id take turns instead of racing.
    with transaction.atomic():
        number = (
            TrackingNumber.objects.for_client(client)
            .filter(number=tracking_number, active=True)
            .first()
        )
        if number is None:
            raise ValidationError({"tracking_number": [UNKNOWN_TRACKING_NUMBER]})
        contact = None
        if caller_number is not None:
            contact, _ = Contact.objects.for_client(client).get_or_create(
                client=client, phone_number=caller_number
            )
        previous_start = (
            Call.objects.for_client(client)
            .filter(external_id=external_id)
            .values_list("started_at", flat=True)
            .first()
        )
        ingested = Call.objects.for_client(client).update_or_create(
            client=client,
            external_id=external_id,
            defaults={
                "tracking_number": number,
                "contact": contact,
                "direction": direction,
                "status": status,
                "started_at": started_at,
                "duration_seconds": duration_seconds,
            },
        )
        _calls_changed(client, started_at, previous_start)
        return ingested


def _calls_changed(client: Client, *moments: dt.datetime | None) -> None:
    """Tell the higher apps (reports) which days of the Client's calls just changed; inside the
    write's transaction, so the mark commits or rolls back with it."""
    for moment in dict.fromkeys(moment for moment in moments if moment is not None):
        calls_changed.send(sender=Call, client=client, first=moment, last=moment)


def call_outcome_set(
    *, client: Client, external_id: str, status: str, duration_seconds: int
) -> bool:
    """Set the status and duration of the Client's call with `external_id`, nothing else: its
    caller, number and start stay as ingested. Returns whether such a call exists."""
    if status not in CallStatus.values:
        raise ValidationError({"status": [f"Unknown status {status!r}."]})
    if duration_seconds < 0:
        raise ValidationError({"duration_seconds": ["Must be 0 or more."]})
    calls = Call.objects.for_client(client).filter(external_id=external_id)
    with transaction.atomic():
        updated = calls.exclude(status=status, duration_seconds=duration_seconds).update(
            status=status, duration_seconds=duration_seconds, updated_at=timezone.now()
        )
        if updated:
            _calls_changed(client, *calls.values_list("started_at", flat=True))
    return bool(updated) or calls.exists()


def _call_ingested_send(*, call_id: uuid.UUID, client_id: uuid.UUID) -> None:
    # The call is stored whatever a receiver does: a receiver's failure is logged, never the
    # caller's 500 (on_commit runs at once outside a transaction, inside the API request).
    for receiver, result in call_ingested.send_robust(
        sender=Call, call_id=call_id, client_id=client_id
    ):
        if isinstance(result, Exception):
            logger.error(
                "call_ingested receiver failed",
                exc_info=result,
                extra={"receiver": getattr(receiver, "__qualname__", str(receiver))},
            )


# --- Encrypted media (calls/media, docs/encryption.md) --------------------------------------------


class UnsupportedAudio(ValueError):
    pass


def media_store(
    *, call: Call, kind: str, content_type: str, chunks: Iterable[bytes], actor: Any = None
) -> MediaObject:
    """Encrypt an upload into storage and attach it to `call`, shredding what it replaces.

    The body streams through the encryptor: memory holds a segment, never the file. Raises
    UnsupportedAudio, or TooLarge past RECORDING_MAX_BYTES (nothing is kept then)."""
    if content_type not in AUDIO_CONTENT_TYPES:
        raise UnsupportedAudio(f"Send {', '.join(AUDIO_CONTENT_TYPES)}.")
    model = MEDIA_MODELS[kind]
    object_id = uuid.uuid4()
    stored = object_write(
        storage_name=f"{call.client_id}/{kind}/{object_id}.dxm",
        object_id=object_id,
        chunks=chunks,
        max_bytes=settings.RECORDING_MAX_BYTES,
    )
    try:
        with transaction.atomic():
            locked = Call.objects.for_client(call.client).select_for_update().get(pk=call.pk)
            replaced = model.objects.filter(client_id=call.client_id, call=locked).first()
            if replaced is not None:
                # The old row and its wrapped key go in this transaction; its file after commit.
                replaced.delete()
                transaction.on_commit(functools.partial(object_delete, replaced.storage_name))
            media = model.objects.create(
                id=object_id,
                client_id=call.client_id,
                call=locked,
                size_bytes=stored.size_bytes,
                content_type=content_type,
                sha256=stored.sha256,
                key_id=stored.key_id,
                wrapped_key=stored.wrapped_key,
                storage_name=stored.storage_name,
                stored_size=stored.stored_size,
            )
            Call.objects.filter(client_id=call.client_id, pk=call.pk).update(
                **{MEDIA_FLAGS[kind]: True}
            )
            audit_record(
                action=AuditAction.MEDIA_UPLOADED,
                actor=actor,
                client_id=call.client_id,
                object_type=kind,
                object_id=object_id,
                metadata={"size_bytes": stored.size_bytes, "replaced": replaced is not None},
            )
    except BaseException:
        object_delete(stored.storage_name)
        raise
    setattr(call, MEDIA_FLAGS[kind], True)
    return media


def media_shred(*, media: MediaObject, actor: Any = None, reason: str = "") -> None:
    """Crypto-shred: destroy the wrapped data key (committed), then the file, then the row.

    Each step is idempotent, so a run interrupted anywhere finishes when it is run again."""
    model, kind = type(media), _media_kind(media)
    _key_then_file_destroy(model, media.client_id, media.pk, media.storage_name)
    with transaction.atomic():
        deleted, _ = model.objects.filter(client_id=media.client_id, pk=media.pk).delete()
        # Every concrete MediaObject has its `call`; the abstract base declares none.
        call_id = media.call_id  # type: ignore[attr-defined]
        Call.objects.filter(client_id=media.client_id, pk=call_id).update(
            **{MEDIA_FLAGS[kind]: False}
        )
        if deleted:
            audit_record(
                action=AuditAction.MEDIA_SHREDDED,
                actor=actor,
                client_id=media.client_id,
                object_type=kind,
                object_id=media.pk,
                metadata={"reason": reason} if reason else {},
            )


def _key_then_file_destroy(model: type[Any], client_id: Any, pk: Any, storage_name: str) -> None:
    """Crypto-shredding's first two steps: the wrapped data key is emptied (committed on its own),
    which makes the stored file unreadable, then the file itself goes."""
    model.objects.filter(client_id=client_id, pk=pk).update(wrapped_key=b"", key_id="")
    if storage_name:
        object_delete(storage_name)


def _media_kind(media: MediaObject) -> str:
    return next(kind for kind, model in MEDIA_MODELS.items() if isinstance(media, model))


ROTATE_BATCH = 500  # data keys re-wrapped per transaction; cost not measured


def media_keys_rotate_across_clients(*, actor: Any = None) -> dict[str, int]:
    """Re-wrap every data key not under the active key (no audio is re-encrypted)."""
    active = keys.active_key_id()
    counts: dict[str, int] = {}
    for kind, model in MEDIA_MODELS.items():
        counts[kind] = 0
        while True:
            with transaction.atomic():
                batch = list(
                    model.objects.across_clients()
                    .select_for_update(skip_locked=True)
                    .exclude(key_id=active)
                    .exclude(key_id="")
                    .order_by("pk")[:ROTATE_BATCH]
                )
                if not batch:
                    break
                for media in batch:
                    data_key = keys.unwrap(
                        keys.WrappedKey(media.key_id, bytes(media.wrapped_key)), media.pk
                    )
                    rewrapped = keys.wrap(data_key, media.pk)
                    media.key_id, media.wrapped_key = rewrapped.key_id, rewrapped.wrapped
                model.objects.across_clients().bulk_update(batch, ["key_id", "wrapped_key"])
                counts[kind] += len(batch)
    # Higher apps keep secrets sealed under the same ring (telephony's auth tokens): they re-seal
    # them here, so the old key can leave RECORDING_KEYS once this returns.
    for _, extra in media_keys_rotating.send(sender=Call, actor=actor):
        counts.update(cast("dict[str, int] | None", extra) or {})
    audit_record(
        action=AuditAction.KEYS_ROTATED, actor=actor, metadata={"active_key_id": active, **counts}
    )
    return counts


PLAY_WINDOW = dt.timedelta(minutes=1)


def media_play_record(*, media: MediaObject, kind: str, actor: Any) -> None:
    """Audit a play; a player's successive Range requests within a minute count as one."""
    action = (
        AuditAction.RECORDING_PLAYED
        if kind == MediaKind.RECORDING
        else AuditAction.VOICEMAIL_PLAYED
    )
    _, actor_hash = actor_of(actor)
    recent = AuditEvent.objects.filter(
        action=action,
        object_id=media.pk,
        actor_hash=actor_hash,
        occurred_at__gte=timezone.now() - PLAY_WINDOW,
    )
    if not recent.exists():
        audit_record(
            action=action,
            actor=actor,
            client_id=media.client_id,
            object_type=kind,
            object_id=media.pk,
        )


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
    *, client: Client, requested_by: Any, filters: CallFilters, total_rows: int
) -> tuple[ExportJob, bool]:
    """A background Excel export for these filters: (job, created).

    The same requester asking again for the same filters while a job is queued or running gets
    that job back; past EXPORT_JOBS_MAX_OPEN_PER_CLIENT open jobs the Client is refused
    (ExportJobLimitReached). A job still open after EXPORT_LIFETIME is taken for dead (its worker
    lost) and no longer counts, so a crash cannot lock a Client out of exports for good."""
    # Imported here: calls.tasks imports this module (the task is a thin adapter over it).
    from calls.tasks import export_job_run_task

    query = filters.as_query()
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
    filters = call_filters_parse(job.query, client=job.client)
    calls = call_list(client=job.client, filters=filters)

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
    from calls.filters import call_filters_parse

    filters = call_filters_parse(job.query, client=job.client)
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


# --- Erasure and restriction of a Contact (SPEC §8; the privacy app's erasure service calls these) --

# Calls detached from their Contact per transaction: short locks on a busy table.
DETACH_BATCH = 5_000  # cost not measured


@dataclass(frozen=True)
class ContactErasure:
    """What erasing one Contact removed in its Client's account (counts only)."""

    calls: int = 0
    recordings: int = 0
    voicemails: int = 0
    export_jobs: int = 0


def export_job_shred(*, job: ExportJob, actor: Any = None, reason: str = "") -> None:
    """Crypto-shred an export's file (key first, committed, then the file), then forget the job.

    Idempotent, like `media_shred`: a run interrupted anywhere finishes when run again."""
    _key_then_file_destroy(ExportJob, job.client_id, job.pk, job.storage_name)
    deleted, _ = ExportJob.objects.filter(client_id=job.client_id, pk=job.pk).delete()
    if deleted and reason:
        logger.info(
            "export job shredded", extra={"client_id": str(job.client_id), "reason": reason}
        )


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
