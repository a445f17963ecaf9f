"""Encrypted recordings and voice messages (calls/media, docs/encryption.md): storing,
shredding (key first, then file), key rotation and play audits."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import uuid
from collections.abc import Iterable
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from calls.media import keys
from calls.media.objects import object_delete, object_write
from calls.models import (
    AUDIO_CONTENT_TYPES,
    MEDIA_FLAGS,
    MEDIA_MODELS,
    Call,
    MediaKind,
    MediaObject,
)
from calls.signals import media_keys_rotating
from privacy.audit import AuditAction, AuditEvent, actor_of, audit_record

logger = logging.getLogger(__name__)


class UnsupportedAudio(ValueError):
    pass


def media_store(
    *,
    call: Call,
    kind: str,
    content_type: str,
    chunks: Iterable[bytes],
    actor: Any = None,
    digest: bool = True,
) -> MediaObject:
    """Encrypt an upload into storage and attach it to `call`, shredding what it replaces.

    The body streams through the encryptor: memory holds a segment, never the file. `digest`
    keeps the plaintext's SHA-256 for an uploader to check (the upload API returns it); a copy
    fetched from a provider has nobody to check it against and goes without. Raises
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
        digest=digest,
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
    key_then_file_destroy(model, media.client_id, media.pk, media.storage_name)
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


def key_then_file_destroy(model: type[Any], client_id: Any, pk: Any, storage_name: str) -> None:
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
