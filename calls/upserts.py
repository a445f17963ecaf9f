"""Call ingestion on PostgreSQL, the hot path: one prepared statement (bench/bench_ingestion.py).

The statement finds the Client's tracking number, finds or creates the caller's Contact, upserts
the call and (given the reports app's `ChangedDaysSql`, calls.signals) marks the local days the
call changed, in one round trip and one implicit transaction. The ORM's three to five queries
cost several times more, and so did a transaction around the statement with a separate mark
(BEGIN, statement, mark, COMMIT: four round trips where one does). Planning it costs more than
running it, hence the PREPARE, once per database connection. Its SQL is written from the models'
own metadata (tables, columns, types), so a renamed field or table cannot leave it behind. Every
other database runs the plain ORM (`calls.services.call_ingest`).

Idempotency rests on the database: `INSERT ... ON CONFLICT (client_id, external_id) DO UPDATE`
decides atomically between creating and updating, so concurrent duplicates never make two calls.
The id it returns tells which happened: ours when the row is new, the existing row's otherwise.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from dataclasses import dataclass
from typing import Any, cast

from django.db import connection
from django.db.models import Field, Model

from accounts.models import Client
from calls.models import Call, Contact, TrackingNumber
from calls.signals import ChangedDaysSql
from dexem.db import execute_prepared, parameter_type


class _Names:
    """A model's quoted table (`.table`) and column names (`.<field name>`), for SQL."""

    def __init__(self, model: type[Model]) -> None:
        self._model = model
        self.table = connection.ops.quote_name(model._meta.db_table)

    def __getattr__(self, field: str) -> str:
        # Only concrete fields are named here: each has its column.
        column = cast(Field, self._model._meta.get_field(field)).column
        return connection.ops.quote_name(column)  # type: ignore[arg-type]


# The statement's parameters, in order, each typed as the model field it is compared or written to.
_PARAMETERS = {
    "client": Call._meta.get_field("client"),
    "number": TrackingNumber._meta.get_field("number"),
    "caller_number": Contact._meta.get_field("phone_number"),
    "contact_id": Contact._meta.get_field("id"),
    "now": Call._meta.get_field("created_at"),
    "call_id": Call._meta.get_field("id"),
    "external_id": Call._meta.get_field("external_id"),
    "direction": Call._meta.get_field("direction"),
    "status": Call._meta.get_field("status"),
    "started_at": Call._meta.get_field("started_at"),
    "duration_seconds": Call._meta.get_field("duration_seconds"),
    "time_zone": Client._meta.get_field("time_zone"),
}


def _statement_name(changed_days: ChangedDaysSql | None) -> str:
    return "dexem_call_ingest" if changed_days is None else "dexem_call_ingest_marked"


@functools.cache
def _prepare_sql(changed_days: ChangedDaysSql | None) -> str:
    p = {name: f"${position}" for position, name in enumerate(_PARAMETERS, start=1)}
    types = ", ".join(parameter_type(field) for field in _PARAMETERS.values())
    n, ct, c = _Names(TrackingNumber), _Names(Contact), _Names(Call)
    updated = (
        "tracking_number",
        "contact",
        "direction",
        "status",
        "started_at",
        "duration_seconds",
    )
    marked, marked_days = "", "NULL::date[]"
    if changed_days is not None:
        # The moments whose local days changed: the call's start and, when it moved, the start
        # it had; none when nothing was written (no such number, a lost Contact race).
        moments = (
            "(SELECT started_at FROM upserted"
            " UNION SELECT previous.started_at FROM previous, upserted)"
        )
        statement = changed_days.statement(
            client=p["client"], time_zone=p["time_zone"], moments=moments, now=p["now"]
        )
        marked = f", marked (day) AS ({statement})"
        marked_days = "(SELECT array_agg(day) FROM marked)"
    return f"""
PREPARE {_statement_name(changed_days)} ({types}) AS
WITH number AS (
    SELECT {n.id} AS id, {n.source} AS source, {n.campaign} AS campaign, {n.pool} AS pool
    FROM {n.table}
    WHERE {n.client} = {p["client"]} AND {n.number} = {p["number"]} AND {n.active}
), previous AS (
    SELECT {c.started_at} AS started_at FROM {c.table}
    WHERE {c.client} = {p["client"]} AND {c.external_id} = {p["external_id"]}
), found AS (
    SELECT {ct.id} AS id FROM {ct.table}
    WHERE {ct.client} = {p["client"]} AND {ct.phone_number} = {p["caller_number"]}
), made AS (
    INSERT INTO {ct.table} ({ct.id}, {ct.client}, {ct.phone_number}, {ct.created_at})
    SELECT {p["contact_id"]}, {p["client"]}, {p["caller_number"]}, {p["now"]}
    WHERE {p["caller_number"]} IS NOT NULL AND EXISTS (SELECT 1 FROM number)
        AND NOT EXISTS (SELECT 1 FROM found)
    ON CONFLICT ({ct.client}, {ct.phone_number}) DO NOTHING
    RETURNING {ct.id} AS id
), contact AS (
    SELECT id FROM found UNION ALL SELECT id FROM made
), upserted AS (
    INSERT INTO {c.table} ({c.id}, {c.client}, {c.external_id}, {c.tracking_number}, {c.contact},
                           {c.direction}, {c.status}, {c.started_at}, {c.duration_seconds},
                           {c.has_recording}, {c.has_voicemail}, {c.created_at}, {c.updated_at},
                           {c.is_first_call})
    SELECT {p["call_id"]}, {p["client"]}, {p["external_id"]}, number.id,
           (SELECT id FROM contact), {p["direction"]}, {p["status"]}, {p["started_at"]},
           {p["duration_seconds"]}, false, false, {p["now"]}, {p["now"]},
           EXISTS (SELECT 1 FROM made)
    FROM number
    WHERE {p["caller_number"]} IS NULL OR EXISTS (SELECT 1 FROM contact)
    -- A first-time caller (the Contact made here) is decided when the call is created, never
    -- updated by a retry: it is not among the updated columns.
    ON CONFLICT ({c.client}, {c.external_id}) DO UPDATE SET
        {", ".join(f"{getattr(c, field)} = EXCLUDED.{getattr(c, field)}" for field in updated)},
        {c.updated_at} = EXCLUDED.{c.updated_at}
    RETURNING {c.id} AS id, {c.has_recording} AS has_recording, {c.has_voicemail} AS has_voicemail,
              {c.started_at} AS started_at
){marked}
SELECT number.id, number.source, number.campaign, number.pool, (SELECT id FROM contact),
       upserted.id, upserted.has_recording, upserted.has_voicemail,
       (SELECT started_at FROM previous), {marked_days}
FROM number LEFT JOIN upserted ON true
"""


# A caller's first calls arriving at once can each miss the other's new Contact (one snapshot
# per statement): the loser writes nothing and runs again, and then finds it.
_CONTACT_RACE_ATTEMPTS = 3


@dataclass(frozen=True)
class Upserted:
    """What the statement did: the call (its number and Contact attached), whether it was
    created, the start it had before when updated, whether its number is in the website's pool,
    and the local days the statement newly marked (given a `ChangedDaysSql`)."""

    call: Call
    created: bool
    previous_start: dt.datetime | None
    pool: bool
    marked_days: list[dt.date]


def call_ingest_postgresql(
    call: Call,
    *,
    tracking_number: str,
    caller_number: str | None,
    changed_days: ChangedDaysSql | None = None,
) -> Upserted | None:
    """Create or update the Client's call with `call.external_id`, its Contact found or created,
    the days it changed marked by `changed_days`' SQL when given, in one statement (its own
    transaction unless one is open); None when the Client has no active tracking number
    `tracking_number`."""
    with connection.cursor() as cursor:
        arguments = {
            "client": call.client_id,
            "number": tracking_number,
            "caller_number": caller_number,
            "contact_id": uuid.uuid4(),
            "now": call.created_at,
            "call_id": call.pk,
            "external_id": call.external_id,
            "direction": call.direction,
            "status": call.status,
            "started_at": call.started_at,
            "duration_seconds": call.duration_seconds,
            "time_zone": call.client.time_zone,
        }
        params: list[Any] = [arguments[name] for name in _PARAMETERS]
        for _ in range(_CONTACT_RACE_ATTEMPTS):
            execute_prepared(
                cursor,
                name=_statement_name(changed_days),
                prepare=_prepare_sql(changed_days),
                params=params,
            )
            row = cursor.fetchone()
            if row is None:
                return None
            (
                number_id,
                source,
                campaign,
                pool,
                contact_id,
                row_id,
                has_recording,
                has_voicemail,
                previous_start,
                marked_days,
            ) = row
            if row_id is not None:
                break
        else:
            raise RuntimeError("The caller's Contact kept changing under the ingestion.")
    call.tracking_number = TrackingNumber(
        id=number_id,
        client=call.client,
        number=tracking_number,
        source=source,
        campaign=campaign,
        active=True,
        pool=pool,
    )
    if contact_id is not None:
        # A contact id comes back only for a call that has a caller number.
        call.contact = Contact(id=contact_id, client=call.client, phone_number=caller_number)  # type: ignore[misc]
    created = row_id == call.pk
    call.pk, call.has_recording, call.has_voicemail = row_id, has_recording, has_voicemail
    call._state.adding, call._state.db = False, connection.alias
    return Upserted(call, created, previous_start, pool, sorted(marked_days or []))
