"""What the provider reports of a call.

A provider retries its webhooks; each report is stored on the ProviderCall (one per provider call
id) and the Call's outcome is derived from everything stored so far, so a retry changes nothing
and reports arriving in any order end in the same state.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Client
from calls import services as call_services
from calls.models import CallStatus, TrackingNumber
from dexem.db import execute_prepared, parameter_type
from telephony.models import ProviderCall
from telephony.providers import base

logger = logging.getLogger(__name__)


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


def provider_call_outcome(leg: ProviderCall) -> tuple[str, int]:
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


def provider_call_facts_report(
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
        before = provider_call_outcome(leg)
        for name in changed:
            setattr(leg, name, wanted[name])
        leg.save(update_fields=[*changed, "updated_at"])
        status, duration = provider_call_outcome(leg)
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

    return provider_call_facts_report(
        client=client, call_id=report.call_id, facts=facts, with_number=True
    )


def _provider_call(client: Client, call_id: str) -> ProviderCall | None:
    return ProviderCall.objects.for_client(client).filter(provider_call_id=call_id).first()


def provider_call_status_report(*, client: Client, report: base.CallReport) -> ProviderCall | None:
    if report.status == base.IN_PROGRESS:  # not final: nothing to record yet
        return _provider_call(client, report.call_id)
    facts = {"call_status": report.status, "call_duration": report.duration}
    if connection.vendor != "postgresql":
        return provider_call_facts_report(
            client=client, call_id=report.call_id, facts=lambda leg: facts
        )
    stored = _facts_store_at_once(client=client, call_id=report.call_id, facts=facts)
    if stored is None:
        # No such call, or a retry. The facts may have been stored by an attempt that failed
        # before the outcome was set (two transactions): the retry sets it from them.
        return _outcome_apply(client=client, call_id=report.call_id)
    before, leg = stored
    if provider_call_outcome(before) != provider_call_outcome(leg):
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
            status, duration = provider_call_outcome(leg)
            call_services.call_outcome_set(
                client=client, external_id=call_id, status=status, duration_seconds=duration
            )
    return leg
