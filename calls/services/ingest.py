"""Call ingestion: the upsert on `(client, external_id)` and a provider's later outcome."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Client
from calls.models import (
    Call,
    CallStatus,
    Contact,
    Direction,
    TrackingNumber,
)
from calls.signals import call_ingested, calls_changed, changed_days_sql
from calls.upserts import call_ingest_postgresql

logger = logging.getLogger(__name__)


UNKNOWN_TRACKING_NUMBER = _("No active tracking number of your account has this number.")


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
    call, created = _call_store(
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
        functools.partial(
            _call_ingested_send,
            call_id=call.pk,
            client_id=client.pk,
            created=created,
            pool=call.tracking_number.pool,
        )
    )
    return call, created


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
        raise ValidationError(
            {
                "status": [
                    gettext("Unknown status; use %(values)s.")
                    % {"values": ", ".join(CallStatus.values)}
                ]
            }
        )
    if direction not in Direction.values:
        raise ValidationError(
            {
                "direction": [
                    gettext("Unknown direction; use %(values)s.")
                    % {"values": ", ".join(Direction.values)}
                ]
            }
        )
    if connection.vendor == "postgresql":  # the hot path, in one prepared statement
        return _call_store_postgresql(
            client=client,
            tracking_number=tracking_number,
            caller_number=caller_number,
            call=Call(
                client=client,
                external_id=external_id,
                direction=direction,
                status=status,
                started_at=started_at,
                duration_seconds=duration_seconds,
            ),
        )
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
        contact, contact_made = None, False
        if caller_number is not None:
            contact, contact_made = Contact.objects.for_client(client).get_or_create(
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
            # A first-time caller: decided when the call is created (as the PostgreSQL statement).
            create_defaults={
                "tracking_number": number,
                "contact": contact,
                "direction": direction,
                "status": status,
                "started_at": started_at,
                "duration_seconds": duration_seconds,
                "is_first_call": contact_made,
            },
        )
        _calls_changed(client, started_at, previous_start)
        return ingested


def _call_store_postgresql(
    *, client: Client, tracking_number: str, caller_number: str | None, call: Call
) -> tuple[Call, bool]:
    """The prepared statement. With the reports app's SQL mark (calls.signals.ChangedDaysSql) it
    marks the days in the same statement, which is then its own transaction: one round trip for
    the call and its mark, no BEGIN or COMMIT of ours. Without it, the statement and the
    calls_changed signal share a transaction, so a crash between the two cannot leave a day's
    aggregate behind its calls."""
    call.created_at = call.updated_at = timezone.now()
    changed_days = changed_days_sql()
    with transaction.atomic() if changed_days is None else contextlib.nullcontext():
        upserted = call_ingest_postgresql(
            call,
            tracking_number=tracking_number,
            caller_number=caller_number,
            changed_days=changed_days,
        )
        if upserted is None:
            raise ValidationError({"tracking_number": [UNKNOWN_TRACKING_NUMBER]})
        if changed_days is None:
            _calls_changed(client, call.started_at, upserted.previous_start)
        else:
            changed_days.marked(client=client, days=upserted.marked_days)
    return upserted.call, upserted.created


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
        raise ValidationError(
            {
                "status": [
                    gettext("Unknown status; use %(values)s.")
                    % {"values": ", ".join(CallStatus.values)}
                ]
            }
        )
    if duration_seconds < 0:
        raise ValidationError({"duration_seconds": [gettext("Must be 0 or more.")]})
    calls = Call.objects.for_client(client).filter(external_id=external_id)
    with transaction.atomic():
        updated = calls.exclude(status=status, duration_seconds=duration_seconds).update(
            status=status, duration_seconds=duration_seconds, updated_at=timezone.now()
        )
        if updated:
            _calls_changed(client, *calls.values_list("started_at", flat=True))
    return bool(updated) or calls.exists()


def calls_attribution_copy(
    *,
    client_id: uuid.UUID,
    call_ids: QuerySet[Any] | list[uuid.UUID],  # ids, or a query of them
    channel: str,
    campaign: str | None,
) -> int:
    """Copy attribution's channel and campaign of the calls `call_ids` onto them ("" and None:
    not attributed), for the counts that read them (reports). Attribution calls this when a
    match is made or lost; returns the number of calls changed."""
    return (
        Call.objects.filter(client_id=client_id, pk__in=call_ids)
        .exclude(attributed_channel=channel, attributed_campaign=campaign)
        .update(attributed_channel=channel, attributed_campaign=campaign)
    )


def _call_ingested_send(
    *, call_id: uuid.UUID, client_id: uuid.UUID, created: bool, pool: bool
) -> None:
    # The call is stored whatever a receiver does: a receiver's failure is logged, never the
    # caller's 500 (on_commit runs at once outside a transaction, inside the API request).
    for receiver, result in call_ingested.send_robust(
        sender=Call, call_id=call_id, client_id=client_id, created=created, pool=pool
    ):
        if isinstance(result, Exception):
            logger.error(
                "call_ingested receiver failed",
                exc_info=result,
                extra={"receiver": getattr(receiver, "__qualname__", str(receiver))},
            )
