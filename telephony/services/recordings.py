"""Recordings and voice messages: noted when the provider reports them ready, then streamed from
the provider into our encrypted storage by a task, and deleted there."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Client
from calls import services as call_services
from calls.media.objects import TooLarge, object_delete
from calls.models import Call, MediaKind
from privacy.audit import AuditAction, audit_record
from telephony import sealing
from telephony.models import ProviderCall, ProviderRecording, RecordingState, TelephonyAccount
from telephony.providers import base, provider_for
from telephony.services.accounts import telephony_account_token
from telephony.services.provider_calls import provider_call_facts_report

logger = logging.getLogger(__name__)


def provider_recording_report(
    *, client: Client, report: base.RecordingReport, kind: str
) -> ProviderRecording | None:
    """A recording is ready at the provider: noted once, fetched by a task (on commit).

    A retried callback changes nothing; one for a recording we gave up on tries again."""
    if not report.completed:
        return None
    with transaction.atomic():
        leg = (
            ProviderCall.objects.for_client(client).filter(provider_call_id=report.call_id).first()
        )
        if leg is None:
            return None
        recording = (
            ProviderRecording.objects.for_client(client)
            .select_for_update()
            .filter(provider_recording_id=report.recording_id)
            .first()
        )
        enqueue = False
        if recording is None:
            try:
                with transaction.atomic():
                    recording = ProviderRecording.objects.create(
                        client=client,
                        provider_call=leg,
                        provider_recording_id=report.recording_id,
                        kind=kind,
                    )
                enqueue = True
            except IntegrityError:
                return None  # the same callback, handled meanwhile
        elif recording.state == RecordingState.UNAVAILABLE:
            recording.state, recording.attempts, recording.error = RecordingState.PENDING, 0, ""
            recording.save(update_fields=["state", "attempts", "error", "updated_at"])
            enqueue = True
        if kind == MediaKind.VOICEMAIL:
            provider_call_facts_report(
                client=client, call_id=report.call_id, facts=lambda leg: {"voicemail_left": True}
            )
        if enqueue:
            # Imported here: telephony.tasks imports this module (its tasks call these services).
            from telephony.tasks import provider_recording_fetch_task

            recording_id = str(recording.pk)
            transaction.on_commit(lambda: provider_recording_fetch_task.delay(recording_id))
    return recording


CHUNK_BYTES = 1024 * 1024  # one read, one encryptor run, one storage write
CONNECT_TIMEOUT, READ_TIMEOUT = 10, 30  # seconds; READ is per read, the whole has its own cap
DOWNLOAD_DEADLINE_SECONDS = 30 * 60
WAV_TYPES = {"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"}


class FetchFailed(Exception):
    """The provider's copy could not be fetched (or deleted) this time; the message says why in
    words without personal data."""


def _recording_rows(recording: ProviderRecording) -> Any:
    return ProviderRecording.objects.for_client(recording.client).filter(pk=recording.pk)


def provider_recording_get_across_clients(recording_id: str) -> ProviderRecording | None:
    """The task's reload by id (it carries no Client)."""
    return (
        ProviderRecording.objects.across_clients()
        .select_related("client", "provider_call")
        .filter(pk=recording_id)
        .first()
    )


def _wav_chunks(response: requests.Response, *, cap: int) -> Iterator[bytes]:
    """The body in chunks; refuses what is not WAV, is past `cap`, or takes too long."""
    deadline = time.monotonic() + DOWNLOAD_DEADLINE_SECONDS
    head, checked, received = b"", False, 0
    for chunk in response.iter_content(CHUNK_BYTES):
        received += len(chunk)
        if received > cap:
            raise FetchFailed("larger than RECORDING_MAX_BYTES")
        if time.monotonic() > deadline:
            raise FetchFailed("download took too long")
        if not checked:
            head += chunk
            if len(head) < 12:
                continue
            if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                raise FetchFailed("not a WAV file")
            checked, chunk, head = True, head, b""
        yield chunk
    if not checked:
        raise FetchFailed("not a WAV file")


@dataclass(frozen=True)
class _Credentials:
    """The account's SID and opened token, read once per attempt for both of its requests."""

    provider: base.VoiceProvider
    account_sid: str
    token: str

    @property
    def auth(self) -> tuple[str, str]:
        return self.account_sid, self.token


def _credentials_for(recording: ProviderRecording) -> _Credentials:
    account = TelephonyAccount.objects.for_client(recording.client).first()
    if account is None:
        raise FetchFailed("the Client has no telephony account any more")
    try:
        token = telephony_account_token(account)
    except sealing.TokenUnreadable:
        raise FetchFailed("the account's auth token does not open") from None
    return _Credentials(provider_for(account.provider), account.account_sid, token)


@contextmanager
def _not_waiting_for_the_disk() -> Iterator[None]:
    """A transaction whose commit does not wait for the WAL to reach the disk (PostgreSQL's
    `synchronous_commit = off`, this transaction only): for writes a crash may lose without harm
    (an attempt's count). Anything the provider's deletion relies on commits normally."""
    with transaction.atomic():
        connection = transaction.get_connection()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def _download_and_store(
    recording: ProviderRecording, session: requests.Session, credentials: _Credentials
) -> None:
    call = (
        Call.objects.for_client(recording.client)
        .select_related("client")
        .filter(external_id=recording.provider_call.provider_call_id)
        .first()
    )
    if call is None:
        raise FetchFailed("the call is gone")
    provider = credentials.provider
    url = provider.recording_media_url(
        api_base=settings.TWILIO_API_BASE,
        account_id=credentials.account_sid,
        recording_id=recording.provider_recording_id,
    )
    cap = settings.RECORDING_MAX_BYTES
    try:
        with session.get(
            url, auth=credentials.auth, stream=True, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT)
        ) as response:
            if response.status_code != 200:
                raise FetchFailed(f"the provider answered {response.status_code}")
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if content_type not in WAV_TYPES:
                raise FetchFailed("the provider's answer is not audio")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > cap:
                raise FetchFailed("larger than RECORDING_MAX_BYTES")
            # One transaction for the media and our state: the encrypted copy and "stored"
            # commit together (one commit, not two), before the provider's copy is deleted.
            # media_store writes the file first and only then its row, so the transaction's
            # first statement, and so its start at the database, comes after the download.
            media = None
            try:
                with transaction.atomic():
                    media = call_services.media_store(
                        call=call,
                        kind=recording.kind,
                        content_type="audio/wav",
                        chunks=_wav_chunks(response, cap=cap),
                        digest=False,
                    )
                    _recording_rows(recording).update(
                        state=RecordingState.STORED, error="", updated_at=timezone.now()
                    )
                    audit_record(
                        action=AuditAction.PROVIDER_RECORDING_FETCHED,
                        actor=None,
                        client_id=recording.client_id,
                        object_type=recording.kind,
                        object_id=media.pk,
                        metadata={"provider": provider.name, "size_bytes": media.size_bytes},
                    )
            except BaseException:
                if media is not None:  # its row rolled back with ours: no file left behind
                    object_delete(media.storage_name)
                raise
    except TooLarge:
        raise FetchFailed("larger than RECORDING_MAX_BYTES") from None
    except requests.RequestException as error:
        raise FetchFailed(f"download failed ({type(error).__name__})") from None
    recording.state = RecordingState.STORED


def _delete_at_provider(
    recording: ProviderRecording, session: requests.Session, credentials: _Credentials
) -> None:
    provider = credentials.provider
    url = provider.recording_delete_url(
        api_base=settings.TWILIO_API_BASE,
        account_id=credentials.account_sid,
        recording_id=recording.provider_recording_id,
    )
    try:
        response = session.delete(
            url, auth=credentials.auth, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT)
        )
    except requests.RequestException as error:
        raise FetchFailed(f"deletion failed ({type(error).__name__})") from None
    # 404: already gone (a previous attempt's DELETE went through, its answer did not).
    if response.status_code not in (200, 204, 404):
        raise FetchFailed(f"the provider answered {response.status_code} to the deletion")
    with transaction.atomic():
        _recording_rows(recording).update(
            state=RecordingState.DONE, error="", updated_at=timezone.now()
        )
        audit_record(
            action=AuditAction.PROVIDER_RECORDING_DELETED,
            actor=None,
            client_id=recording.client_id,
            object_type=recording.kind,
            object_id=recording.pk,
            metadata={"provider": provider.name, "status": response.status_code},
        )
    recording.state = RecordingState.DONE


def provider_recording_fetch(*, recording: ProviderRecording) -> ProviderRecording:
    """Stream the provider's copy through the encryptor into storage, then delete it there.

    Resumable: a stored recording is not fetched again, only its deletion retried; the provider's
    copy is never deleted before ours is stored and committed. Raises FetchFailed to be
    retried."""
    with _not_waiting_for_the_disk():
        _recording_rows(recording).update(attempts=recording.attempts + 1)
    credentials = _credentials_for(recording)
    with requests.Session() as session:
        # Only the provider's API base is ever contacted; its redirects keep no credentials
        # (requests drops Authorization when the host changes).
        session.max_redirects = 3
        if recording.state in (RecordingState.PENDING, RecordingState.UNAVAILABLE):
            _download_and_store(recording, session, credentials)
        if recording.state == RecordingState.STORED:
            _delete_at_provider(recording, session, credentials)
    return recording


def provider_recording_give_up(*, recording: ProviderRecording, error: str) -> None:
    """After the last retry: the call shows "recording unavailable"; the provider's copy stays
    where it is (never deleted before we hold it), for a later callback to try again."""
    state = (
        RecordingState.UNAVAILABLE
        if recording.state in (RecordingState.PENDING, RecordingState.UNAVAILABLE)
        else recording.state  # stored here, only the provider's deletion failed
    )
    _recording_rows(recording).update(state=state, error=error[:200], updated_at=timezone.now())
    logger.warning(
        "provider recording not fetched",
        extra={"client_id": str(recording.client_id), "recording_id": str(recording.pk)},
    )
