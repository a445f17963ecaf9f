"""A new visit and its lease of a free pool number, on PostgreSQL in one prepared statement
(bench/bench_attribution.py: the ORM's five round trips cost more than the rest of the visits
endpoint). It does what attribution.services.visits does for the common case, a free number;
when none is free it changes nothing and answers None, and the ORM path shares a number. Built
from the models' metadata."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from typing import Any

from django.db import connection

from attribution.models import Lease, PoolNumber, Visit
from calls.models import TrackingNumber
from dexem.db import execute_prepared

_STATEMENT = "dexem_visit_lease_new"
VISIT_FIELDS = (
    "id",
    "client",
    "token_hash",
    "channel",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "click_id_kind",
    "click_id",
    "landing_path",
    "referrer_host",
    "ambiguous",
    "created_at",
    "last_seen_at",
)
_TYPES = {
    "id": "uuid",
    "client": "uuid",
    "ambiguous": "boolean",
    "created_at": "timestamptz",
    "last_seen_at": "timestamptz",
}


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _col(model: Any, field: str) -> str:
    return _q(model._meta.get_field(field).column)


def _table(model: Any) -> str:
    return _q(model._meta.db_table)


@functools.cache
def lease_sql() -> str:
    """$1..$16 the visit's fields (VISIT_FIELDS order; $2 the Client), $17 the lease's end."""
    types = ", ".join(_TYPES.get(name, "text") for name in VISIT_FIELDS)
    visit_columns = ", ".join(_col(Visit, name) for name in VISIT_FIELDS)
    visit_values = ", ".join(f"${index}" for index in range(1, len(VISIT_FIELDS) + 1))
    now = f"${VISIT_FIELDS.index('created_at') + 1}"  # the visit's creation is the lease's start
    ends = f"${len(VISIT_FIELDS) + 1}"
    p_number, p_client = _col(PoolNumber, "tracking_number"), _col(PoolNumber, "client")
    p_held, p_used = _col(PoolNumber, "held_until"), _col(PoolNumber, "last_used_at")
    lease_columns = ", ".join(
        _col(Lease, name)
        for name in ("client", "visit", "tracking_number", "starts_at", "ends_at", "ambiguous")
    )
    t_id = _col(TrackingNumber, "id")
    return f"""
PREPARE {_STATEMENT} ({types}, timestamptz) AS
WITH free AS (
    SELECT p.{p_number} AS number_id
    FROM {_table(PoolNumber)} p JOIN {_table(TrackingNumber)} t ON t.{t_id} = p.{p_number}
    WHERE p.{p_client} = $2 AND (p.{p_held} IS NULL OR p.{p_held} <= {now})
        AND t.{_col(TrackingNumber, "active")} AND t.{_col(TrackingNumber, "pool")}
    ORDER BY p.{p_used}, p.{p_number}
    LIMIT 1
    FOR UPDATE OF p SKIP LOCKED
), visit AS (
    INSERT INTO {_table(Visit)} ({visit_columns})
    SELECT {visit_values} WHERE EXISTS (SELECT 1 FROM free)
    RETURNING {_col(Visit, "id")} AS id
), lease AS (
    INSERT INTO {_table(Lease)} ({lease_columns})
    SELECT $2, visit.id, free.number_id, {now}, {ends}, false FROM free, visit
    RETURNING {_col(Lease, "id")} AS id, {_col(Lease, "tracking_number")} AS number_id
), held AS (
    UPDATE {_table(PoolNumber)} p
    SET {p_held} = {ends}, {p_used} = {now}, {_col(PoolNumber, "last_lease_id")} = lease.id
    FROM lease WHERE p.{p_number} = lease.number_id
)
SELECT t.{_col(TrackingNumber, "number")}
FROM lease JOIN {_table(TrackingNumber)} t ON t.{t_id} = lease.number_id
"""  # noqa: S608


def _param(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


def visit_lease_new_postgresql(*, fields: dict[str, Any], ends_at: dt.datetime) -> str | None:
    """The leased number, or None (no free number: nothing was written). Call inside the
    visit's transaction; sets its commit not to wait for the disk, as the ORM path does."""
    with connection.cursor() as cursor:
        execute_prepared(
            cursor,
            name=_STATEMENT,
            prepare=lease_sql(),
            params=[*(_param(fields[name]) for name in VISIT_FIELDS), ends_at],
            before="SET LOCAL synchronous_commit TO OFF",
        )
        row = cursor.fetchone()
    return row[0] if row else None
