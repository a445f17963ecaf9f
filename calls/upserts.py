"""The SQL of call ingestion, the hot path (bench/bench_ingestion.py).

Django's ORM spends about 0.7 ms compiling each query on our machines, several times the round
trip itself, so ingestion's three statements are written once here, from the models' own table
and column names, and run on PostgreSQL and SQLite (>= 3.35, for RETURNING) alike.

Idempotency rests on the database: `INSERT ... ON CONFLICT (client_id, external_id) DO UPDATE`
decides atomically between creating and updating, so concurrent duplicates never make two calls.
The id it returns tells which happened: ours when the row is new, the existing row's otherwise.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

from django.db import connection
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
    return {
        # The caller's Contact comes along with the tracking number: one round trip for both.
        "lookup": (
            f"SELECT {number_id}, {source}, {campaign}, ("
            f"SELECT {contact_columns[0]} FROM {_table(Contact)} "
            f"WHERE {contact_columns[1]} = %s AND {contact_columns[2]} = %s"
            f") FROM {_table(TrackingNumber)} "
            f"WHERE {number_client} = %s AND {number} = %s AND {active}"
        ),
        "contact_select": (
            f"SELECT {contact_columns[0]} FROM {_table(Contact)} "
            f"WHERE {contact_columns[1]} = %s AND {contact_columns[2]} = %s"
        ),
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


def ingest_lookup(
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


def call_upsert(call: Call) -> tuple[Call, bool]:
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
