"""Every write of the telephony app: accounts, the provider's reports of a call, recordings.

A provider retries its webhooks; each report is stored on the ProviderCall (one per provider call
id) and the Call's outcome is derived from everything stored so far, so a retry changes nothing
and reports arriving in any order end in the same state.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Client
from calls import services as call_services
from calls.media.keys import active_key_id
from calls.media.objects import TooLarge, object_delete
from calls.models import Call, CallStatus, MediaKind, TrackingNumber
from dexem.db import execute_prepared, parameter_type
from privacy.audit import AuditAction, audit_record
from telephony import sealing
from telephony.models import (
    Provider,
    ProviderCall,
    ProviderRecording,
    RecordingState,
    TelephonyAccount,
)
from telephony.providers import base, provider_for
from telephony.providers.twilio import is_sid

logger = logging.getLogger(__name__)

# --- The Client's account at the provider ---------------------------------------------------------


def telephony_account_set(
    *, client: Client, provider: str, account_sid: str, auth_token: str | None, actor: Any = None
) -> TelephonyAccount:
    """Create or change the Client's account. A blank token keeps the one sealed already (the
    token is write-only); audited with the names of the fields changed, never their values."""
    account_sid = account_sid.strip()
    auth_token = (auth_token or "").strip()
    if provider not in Provider.values:
        raise ValidationError({"provider": ["Unknown provider."]})
    if not is_sid(account_sid, "AccountSid"):
        raise ValidationError({"account_sid": ["Enter the account SID: AC and 32 hex digits."]})
    if auth_token and (len(auth_token) > 128 or not auth_token.isprintable()):
        raise ValidationError({"auth_token": ["This is not an auth token."]})
    with transaction.atomic():
        account = TelephonyAccount.objects.for_client(client).select_for_update().first()
        if account is None and not auth_token:
            raise ValidationError({"auth_token": ["Enter the account's auth token."]})
        changed: list[str] = []
        if account is None:
            account = TelephonyAccount(client=client)
            changed = ["provider", "account_sid", "auth_token"]
        else:
            changed = [
                name
                for name, value in (("provider", provider), ("account_sid", account_sid))
                if getattr(account, name) != value
            ]
            if auth_token:
                changed.append("auth_token")
        account.provider, account.account_sid = provider, account_sid
        if auth_token:
            account.token_key_id, account.token_sealed = sealing.token_seal(
                auth_token, account_id=account.pk
            )
        if not changed:
            return account
        try:
            with transaction.atomic():
                account.save()
        except IntegrityError:
            raise ValidationError({"account_sid": ["This account is already in use."]}) from None
        # This process forgets the account at once (its old SID too, when it changed); the
        # others within WEBHOOK_ACCOUNT_SECONDS, or at once for a request signed with the new
        # token (telephony.views.webhook looks again when a remembered token does not verify).
        webhook_accounts_forget()
        transaction.on_commit(webhook_accounts_forget)
        audit_record(
            action=AuditAction.TELEPHONY_CHANGED,
            actor=actor,
            client_id=client.pk,
            object_type="telephony_account",
            object_id=account.pk,
            metadata={"fields": sorted(changed)},
        )
    logger.info("telephony account changed", extra={"client_id": str(client.pk)})
    return account


def telephony_account_find_across_clients(
    *, provider: str, account_sid: str
) -> TelephonyAccount | None:
    """The account a webhook names, whichever Client holds it: the request is not trusted until
    its signature checks out with this account's token."""
    return (
        TelephonyAccount.objects.across_clients()
        .select_related("client")
        .filter(provider=provider, account_sid=account_sid, client__is_active=True)
        .first()
    )


# The webhooks' accounts, remembered by each process for a few seconds: a status callback then
# costs no query to find its account nor a run of the cipher to open its token. A token changed
# in another process is seen at once by a request signed with it (the webhook looks the account
# up again when a remembered token does not verify); a request signed with the token it replaced,
# or for a Client deactivated meanwhile, is accepted at most this long after the change.
WEBHOOK_ACCOUNT_SECONDS = 5.0
_webhook_accounts: dict[tuple[str, str], tuple[float, TelephonyAccount, str]] = {}


def webhook_accounts_forget() -> None:
    _webhook_accounts.clear()


def telephony_account_for_webhook(
    *, provider: str, account_sid: str, remembered: bool = True
) -> tuple[TelephonyAccount, str, bool] | None:
    """(account, its token, whether both were remembered rather than read just now) for the
    account a webhook names, or None when no active Client holds it. Raises
    sealing.TokenUnreadable when the token does not open."""
    key, now = (provider, account_sid), time.monotonic()
    if remembered:
        entry = _webhook_accounts.get(key)
        if entry is not None and entry[0] > now:
            return entry[1], entry[2], True
    account = telephony_account_find_across_clients(provider=provider, account_sid=account_sid)
    if account is None:
        _webhook_accounts.pop(key, None)
        return None
    token = telephony_account_token(account)
    _webhook_accounts[key] = (now + WEBHOOK_ACCOUNT_SECONDS, account, token)
    return account, token, False


def telephony_account_token(account: TelephonyAccount) -> str:
    return sealing.token_open(
        key_id=account.token_key_id, sealed=bytes(account.token_sealed), account_id=account.pk
    )


RESEAL_BATCH = 500  # cost not measured


def telephony_tokens_reseal_across_clients(*, actor: Any = None) -> dict[str, int]:
    """Re-seal every auth token not under the active key (part of rotate_recording_keys)."""
    active, resealed = active_key_id(), 0
    while True:
        with transaction.atomic():
            batch = list(
                TelephonyAccount.objects.across_clients()
                .select_for_update(skip_locked=True)
                .exclude(token_key_id=active)
                .order_by("pk")[:RESEAL_BATCH]
            )
            if not batch:
                break
            for account in batch:
                key_id, sealed = sealing.token_seal(
                    telephony_account_token(account), account_id=account.pk
                )
                TelephonyAccount.objects.across_clients().filter(pk=account.pk).update(
                    token_key_id=key_id, token_sealed=sealed
                )
            resealed += len(batch)
    return {"telephony_token": resealed}


# --- What the provider reports of a call -------------------------------------------------------


def provider_call_start(
    *, client: Client, incoming: base.IncomingCall, tracking_number: TrackingNumber
) -> tuple[ProviderCall, bool]:
    """The provider's call and our Call, made once: a retried voice webhook finds them."""
    existing = ProviderCall.objects.for_client(client).filter(provider_call_id=incoming.call_id)
    found = existing.first()
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            leg = ProviderCall.objects.create(
                client=client,
                provider_call_id=incoming.call_id,
                tracking_number=tracking_number,
                forwarded_to=tracking_number.forward_to,
                announced=bool(
                    tracking_number.forward_to
                    and tracking_number.record_calls
                    and tracking_number.announcement
                ),
                voicemail_offered=not tracking_number.forward_to and tracking_number.voicemail,
            )
            # Missed until the provider reports otherwise: a call it never reports again was not
            # answered by anyone.
            call_services.call_ingest(
                client=client,
                external_id=incoming.call_id,
                tracking_number=tracking_number.number,
                caller_number=incoming.caller,
                status=CallStatus.MISSED,
                started_at=timezone.now(),
                duration_seconds=0,
            )
    except IntegrityError:  # the same webhook, retried while the first was being handled
        return existing.get(), False
    return leg, True


def _outcome(leg: ProviderCall) -> tuple[str, int]:
    if leg.voicemail_left:
        return CallStatus.VOICEMAIL, leg.call_duration or 0
    if leg.dial_status == base.ANSWERED:
        duration = leg.dial_duration if leg.dial_duration is not None else leg.call_duration
        return CallStatus.ANSWERED, duration or 0
    reported = leg.dial_status or leg.call_status
    if reported == base.BUSY:
        return CallStatus.BUSY, 0
    if reported == base.FAILED:
        return CallStatus.FAILED, 0
    return CallStatus.MISSED, 0


def _report(
    *,
    client: Client,
    call_id: str,
    facts: Callable[[ProviderCall], dict[str, Any]],
    with_number: bool = False,
) -> ProviderCall | None:
    """Store the `facts` (worked out from the locked provider call) on the provider call, then,
    when they change the outcome, set the Call's outcome from all it holds.

    One transaction: the provider call is locked, so two reports on one call (dial-status and
    status arrive together) are applied one after the other. A retry changes no fact and
    writes nothing; a fact that leaves the outcome as it was (the final status after the
    dial-status, most often) does not touch the Call."""
    legs = ProviderCall.objects.for_client(client).select_for_update(of=("self",))
    if with_number:  # the facts need the tracking number's settings
        legs = legs.select_related("tracking_number")
    with transaction.atomic():
        try:  # unique per Client: get() needs no ORDER BY, as first() would
            leg = legs.get(provider_call_id=call_id)
        except ProviderCall.DoesNotExist:
            return None
        wanted = facts(leg)
        changed = [name for name, value in wanted.items() if getattr(leg, name) != value]
        if not changed:
            return leg
        before = _outcome(leg)
        for name in changed:
            setattr(leg, name, wanted[name])
        leg.save(update_fields=[*changed, "updated_at"])
        status, duration = _outcome(leg)
        if (status, duration) != before:
            call_services.call_outcome_set(
                client=client, external_id=call_id, status=status, duration_seconds=duration
            )
    return leg


def provider_call_dial_report(*, client: Client, report: base.DialReport) -> ProviderCall | None:
    """The forwarded leg's outcome; offers voicemail when nobody answered and it is on."""

    def facts(leg: ProviderCall) -> dict[str, Any]:
        offer = report.outcome != base.ANSWERED and leg.tracking_number.voicemail
        return {
            "dial_status": report.outcome,
            "dial_duration": report.duration,
            "voicemail_offered": leg.voicemail_offered or offer,
        }

    return _report(client=client, call_id=report.call_id, facts=facts, with_number=True)


def _provider_call(client: Client, call_id: str) -> ProviderCall | None:
    return ProviderCall.objects.for_client(client).filter(provider_call_id=call_id).first()


def provider_call_status_report(*, client: Client, report: base.CallReport) -> ProviderCall | None:
    if report.status == base.IN_PROGRESS:  # not final: nothing to record yet
        return _provider_call(client, report.call_id)
    facts = {"call_status": report.status, "call_duration": report.duration}
    if connection.vendor != "postgresql":
        return _report(client=client, call_id=report.call_id, facts=lambda leg: facts)
    stored = _facts_store_at_once(client=client, call_id=report.call_id, facts=facts)
    if stored is None:
        # No such call, or a retry. The facts may have been stored by an attempt that failed
        # before the outcome was set (two transactions): the retry sets it from them.
        return _outcome_apply(client=client, call_id=report.call_id)
    before, leg = stored
    if _outcome(before) != _outcome(leg):
        _outcome_apply(client=client, call_id=report.call_id)
    return leg


def _facts_store_at_once(
    *, client: Client, call_id: str, facts: dict[str, Any]
) -> tuple[ProviderCall, ProviderCall] | None:
    """PostgreSQL: store `facts` on the provider call in one statement, its own transaction:
    the row is locked, compared and updated at once, and comes back as it was and as it is now.
    None when there is no such call or it holds the facts already (a retry).

    The final status is the webhook a provider sends most (bench/bench_telephony.py): the
    locked read, the update and their transaction of `_report` took four round trips to the
    database where this takes one, and planning it cost more than running it (0.50 ms a
    statement against 0.29 ms prepared, pgbench on the bench machine), hence the PREPARE.
    Identifiers and parameter types come from the model's metadata."""
    names = tuple(facts)
    values = {**facts, "client": client.pk, "call_id": call_id, "now": timezone.now()}
    with connection.cursor() as cursor:
        execute_prepared(
            cursor,
            name=_facts_statement_name(names),
            prepare=_facts_store_sql(names),
            params=[values[name] for name in _facts_parameters(names)],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    attnames = [field.attname for field in ProviderCall._meta.concrete_fields]
    leg = ProviderCall.from_db(connection.alias, attnames, list(row[len(names) :]))
    before = ProviderCall.from_db(connection.alias, attnames, list(row[len(names) :]))
    for name, value in zip(names, row[: len(names)], strict=True):
        setattr(before, name, value)
    return before, leg


@functools.cache
def _facts_statement_name(names: tuple[str, ...]) -> str:
    # Short whatever the facts: PostgreSQL cuts names past 63 bytes, and two cut alike would clash.
    return "dexem_provider_facts_" + hashlib.sha256(",".join(names).encode()).hexdigest()[:16]


@functools.cache
def _facts_parameters(names: tuple[str, ...]) -> dict[str, str]:
    """The statement's parameters in order, each with the field it is written or compared to."""
    assert not {"now", "client", "call_id"} & set(names), names
    return {
        **{name: name for name in names},
        "now": "updated_at",
        "client": "client",
        "call_id": "provider_call_id",
    }


@functools.cache
def _facts_store_sql(names: tuple[str, ...]) -> str:
    """The PREPARE of _facts_store_at_once's statement for the facts `names`: built once per
    process."""
    quote = connection.ops.quote_name
    meta = ProviderCall._meta
    table = quote(meta.db_table)
    column = {field.name: quote(field.column or field.name) for field in meta.concrete_fields}
    parameters = _facts_parameters(names)
    p = {name: f"${position}" for position, name in enumerate(parameters, start=1)}
    types = ", ".join(
        parameter_type(meta.get_field(field_name)) for field_name in parameters.values()
    )
    sets = ", ".join(
        [*(f"{column[name]} = {p[name]}" for name in names), f"{column['updated_at']} = {p['now']}"]
    )
    was = ", ".join(f"o.{column[name]}" for name in names)
    wanted = ", ".join(p[name] for name in names)
    now_columns = ", ".join(f"p.{column[field.name]}" for field in meta.concrete_fields)
    return f"""
        PREPARE {_facts_statement_name(names)} ({types}) AS
        UPDATE {table} AS p SET {sets}
        FROM (SELECT {column["id"]}, {", ".join(column[name] for name in names)} FROM {table}
              WHERE {column["client"]} = {p["client"]}
              AND {column["provider_call_id"]} = {p["call_id"]}
              FOR UPDATE) AS o
        WHERE p.{column["id"]} = o.{column["id"]} AND ROW({was}) IS DISTINCT FROM ROW({wanted})
        RETURNING {was}, {now_columns}"""  # noqa: S608


def _outcome_apply(*, client: Client, call_id: str) -> ProviderCall | None:
    """Set the Call's outcome from what its provider call holds now, read under its lock: when
    reports stored at once race, the last to take the lock reads the facts of all of them.
    Writes nothing when the Call has that outcome already. Returns the provider call."""
    with transaction.atomic():
        leg = (
            ProviderCall.objects.for_client(client)
            .select_for_update()
            .filter(provider_call_id=call_id)
            .first()
        )
        if leg is not None:
            status, duration = _outcome(leg)
            call_services.call_outcome_set(
                client=client, external_id=call_id, status=status, duration_seconds=duration
            )
    return leg


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
            _report(
                client=client, call_id=report.call_id, facts=lambda leg: {"voicemail_left": True}
            )
        if enqueue:
            # Imported here: telephony.tasks imports this module (its tasks call these services).
            from telephony.tasks import provider_recording_fetch_task

            recording_id = str(recording.pk)
            transaction.on_commit(lambda: provider_recording_fetch_task.delay(recording_id))
    return recording


# --- Recordings: from the provider into our encrypted storage, then deleted there ------------

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
