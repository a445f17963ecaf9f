"""The SQL of call ingestion, the hot path (bench/bench_ingestion.py).

On PostgreSQL one prepared statement does the whole ingestion: it finds the Client's tracking
number, finds or creates the caller's Contact and upserts the call, in one round trip and one
implicit transaction. Planning that statement costs more than running it, hence the PREPARE,
once per database connection. SQLite (development; >= 3.35 for RETURNING) has no data-modifying
CTEs, so there the same steps are three statements in a transaction, written from the models'
own table and column names: the ORM would spend longer compiling each query than running it.

Idempotency rests on the database: `INSERT ... ON CONFLICT (client_id, external_id) DO UPDATE`
decides atomically between creating and updating, so concurrent duplicates never make two calls.
The id it returns tells which happened: ours when the row is new, the existing row's otherwise.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from accounts.models import Client
from calls.models import Call, Contact, TrackingNumber


def _columns(model: type[Model], *names: str) -> list[str]:
    return [connection.ops.quote_name(model._meta.get_field(name).column) for name in names]


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@functools.cache
def _sql(vendor: str) -> dict[str, str]:
    number_id, source, campaign = _columns(TrackingNumber, "id", "source", "campaign")
    number_client, number, active = _columns(TrackingNumber, "client", "number", "active")
    contact_columns = _columns(Contact, "id", "client", "phone_number", "created_at")
    call_fields = (
        "id",
        "client",
        "external_id",
        "tracking_number",
        "contact",
        "direction",
        "status",
        "started_at",
        "duration_seconds",
        "has_recording",
        "has_voicemail",
        "created_at",
        "updated_at",
    )
    updated = (
        "tracking_number",
        "contact",
        "direction",
        "status",
        "started_at",
        "duration_seconds",
        "updated_at",
    )
    call_columns = _columns(Call, *call_fields)
    call_id, has_recording, has_voicemail = _columns(Call, "id", "has_recording", "has_voicemail")
    contact_select = (
        f"SELECT {contact_columns[0]} FROM {_table(Contact)} "
        f"WHERE {contact_columns[1]} = %s AND {contact_columns[2]} = %s"
    )
    return {
        # The caller's Contact comes along with the tracking number: one round trip for both.
        "lookup": (
            f"SELECT {number_id}, {source}, {campaign}, ({contact_select}) "
            f"FROM {_table(TrackingNumber)} "
            f"WHERE {number_client} = %s AND {number} = %s AND {active}"
        ),
        "contact_select": contact_select,
        "contact_insert": (
            f"INSERT INTO {_table(Contact)} ({', '.join(contact_columns)}) VALUES (%s, %s, %s, %s) "
            f"ON CONFLICT ({contact_columns[1]}, {contact_columns[2]}) DO NOTHING RETURNING {contact_columns[0]}"
        ),
        "call_upsert": (
            f"INSERT INTO {_table(Call)} ({', '.join(call_columns)}) "
            f"VALUES ({', '.join(['%s'] * len(call_columns))}) "
            f"ON CONFLICT ({call_columns[1]}, {call_columns[2]}) DO UPDATE SET "
            + ", ".join(f"{column} = EXCLUDED.{column}" for column in _columns(Call, *updated))
            + f" RETURNING {call_id}, {has_recording}, {has_voicemail}"
        ),
        "call_fields": ",".join(call_fields),
    }


def _prep(model: type[Model], field: str, value: Any) -> Any:
    return model._meta.get_field(field).get_db_prep_save(value, connection)


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _lookup(
    *, client: Client, number: str, caller_number: str | None
) -> tuple[TrackingNumber | None, Contact | None]:
    """The Client's active tracking number, and the caller's Contact (created when new)."""
    sql = _sql(connection.vendor)
    client_id = _prep(Contact, "client", client.pk)
    with connection.cursor() as cursor:
        cursor.execute(sql["lookup"], [client_id, caller_number, client_id, number])
        row = cursor.fetchone()
        if row is None:
            return None, None
        tracking_number = TrackingNumber(
            id=_uuid(row[0]),
            client=client,
            number=number,
            source=row[1],
            campaign=row[2],
            active=True,
        )
        if caller_number is None:
            return tracking_number, None
        contact_id = row[3]
        if contact_id is None:
            contact_id = _contact_insert(
                cursor, sql, client_id=client_id, phone_number=caller_number
            )
    return tracking_number, Contact(id=_uuid(contact_id), client=client, phone_number=caller_number)


def _contact_insert(cursor: Any, sql: dict[str, str], *, client_id: Any, phone_number: str) -> Any:
    new_id, now = uuid.uuid4(), timezone.now()
    cursor.execute(
        sql["contact_insert"],
        [_prep(Contact, "id", new_id), client_id, phone_number, _prep(Contact, "created_at", now)],
    )
    row = cursor.fetchone()
    if row is None:  # inserted meanwhile by a concurrent request
        cursor.execute(sql["contact_select"], [client_id, phone_number])
        row = cursor.fetchone()
    return row[0]


def _upsert(call: Call) -> tuple[Call, bool]:
    """Insert `call` or update the Client's call with its external_id; returns (call, created)."""
    sql = _sql(connection.vendor)
    params = [
        _prep(Call, name, getattr(call, Call._meta.get_field(name).attname))
        for name in sql["call_fields"].split(",")
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql["call_upsert"], params)
        row_id, has_recording, has_voicemail = cursor.fetchone()
    row_id = _uuid(row_id)
    created = row_id == call.pk
    call.pk, call.has_recording, call.has_voicemail = (
        row_id,
        bool(has_recording),
        bool(has_voicemail),
    )
    call._state.adding, call._state.db = False, connection.alias
    return call, created


def call_ingest_upsert(
    call: Call, *, tracking_number: str, caller_number: str | None
) -> tuple[Call, bool] | None:
    """Create or update the Client's call with `call.external_id`, its Contact found or created;
    (call, created), or None when the Client has no active tracking number `tracking_number`."""
    if connection.vendor == "postgresql":
        return _ingest_postgresql(call, number=tracking_number, caller_number=caller_number)
    with transaction.atomic():
        found, contact = _lookup(
            client=call.client, number=tracking_number, caller_number=caller_number
        )
        if found is None:
            return None
        call.tracking_number, call.contact = found, contact
        return _upsert(call)


_INGEST_STATEMENT = "dexem_call_ingest"
_INGEST_SQL = f"""
PREPARE {_INGEST_STATEMENT} (uuid, text, text, uuid, timestamptz, uuid, text, text, text,
                             timestamptz, integer) AS
WITH number AS (
    SELECT id, source, campaign FROM calls_trackingnumber
    WHERE client_id = $1 AND number = $2 AND active
), found AS (
    SELECT id FROM calls_contact WHERE client_id = $1 AND phone_number = $3
), made AS (
    INSERT INTO calls_contact (id, client_id, phone_number, created_at)
    SELECT $4, $1, $3, $5
    WHERE $3 IS NOT NULL AND EXISTS (SELECT 1 FROM number) AND NOT EXISTS (SELECT 1 FROM found)
    ON CONFLICT (client_id, phone_number) DO NOTHING
    RETURNING id
), contact AS (
    SELECT id FROM found UNION ALL SELECT id FROM made
), upserted AS (
    INSERT INTO calls_call (id, client_id, external_id, tracking_number_id, contact_id, direction,
                            status, started_at, duration_seconds, has_recording, has_voicemail,
                            created_at, updated_at)
    SELECT $6, $1, $7, number.id, (SELECT id FROM contact), $8, $9, $10, $11, false, false, $5, $5
    FROM number
    WHERE $3 IS NULL OR EXISTS (SELECT 1 FROM contact)
    ON CONFLICT (client_id, external_id) DO UPDATE SET
        tracking_number_id = EXCLUDED.tracking_number_id, contact_id = EXCLUDED.contact_id,
        direction = EXCLUDED.direction, status = EXCLUDED.status,
        started_at = EXCLUDED.started_at, duration_seconds = EXCLUDED.duration_seconds,
        updated_at = EXCLUDED.updated_at
    RETURNING id, has_recording, has_voicemail
)
SELECT number.id, number.source, number.campaign, (SELECT id FROM contact),
       upserted.id, upserted.has_recording, upserted.has_voicemail
FROM number LEFT JOIN upserted ON true
"""
# A caller's first calls arriving at once can each miss the other's new Contact (one snapshot
# per statement): the loser writes nothing and runs again, and then finds it.
_CONTACT_RACE_ATTEMPTS = 3


def _ingest_postgresql(
    call: Call, *, number: str, caller_number: str | None
) -> tuple[Call, bool] | None:
    connection.ensure_connection()
    with connection.cursor() as cursor:
        # Prepared statements live as long as the database session: once per connection.
        if getattr(connection, "dexem_ingest_prepared_on", None) is not connection.connection:
            cursor.execute(_INGEST_SQL)
            connection.dexem_ingest_prepared_on = connection.connection
        params = [
            call.client_id,
            number,
            caller_number,
            uuid.uuid4(),
            call.created_at,
            call.pk,
            call.external_id,
            call.direction,
            call.status,
            call.started_at,
            call.duration_seconds,
        ]
        for _ in range(_CONTACT_RACE_ATTEMPTS):
            cursor.execute(
                f"EXECUTE {_INGEST_STATEMENT} ({', '.join(['%s'] * len(params))})", params
            )
            row = cursor.fetchone()
            if row is None:
                return None
            number_id, source, campaign, contact_id, row_id, has_recording, has_voicemail = row
            if row_id is not None:
                break
        else:
            raise RuntimeError("The caller's Contact kept changing under the ingestion.")
    call.tracking_number = TrackingNumber(
        id=number_id, client=call.client, number=number, source=source, campaign=campaign
    )
    if contact_id is not None:
        call.contact = Contact(id=contact_id, client=call.client, phone_number=caller_number)
    created = row_id == call.pk
    call.pk, call.has_recording, call.has_voicemail = row_id, has_recording, has_voicemail
    call._state.adding, call._state.db = False, connection.alias
    return call, created
