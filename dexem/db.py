"""Prepared statements on PostgreSQL, for the hot paths whose planning costs more than running
them: call ingestion (calls.upserts) and the provider's final status (telephony.services)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.models import CharField, Field


def parameter_type(field: object) -> str:
    """The type a PREPARE gives a parameter written to or compared with the model field
    `field`. Text, not varchar(n): an over-long value must fail to match, not be cut to fit."""
    assert isinstance(field, Field), field
    return "text" if isinstance(field, CharField) else str(field.db_type(connection))


def execute_prepared(
    cursor: CursorWrapper, *, name: str, prepare: str, params: Sequence[Any]
) -> None:
    """Run the prepared statement `name` with `params` (positional), first running `prepare`
    (`PREPARE name (types) AS …`) when this database session has not yet.

    A prepared statement lives as long as the session, and a rolled-back transaction does not
    take it away (PostgreSQL's PREPARE is not transactional): once per connection."""
    database = cursor.db
    session, prepared = getattr(database, "dexem_prepared", (None, set[str]()))
    if session is not database.connection:  # a new session has none of them
        prepared = set[str]()
        database.dexem_prepared = (database.connection, prepared)
    if name not in prepared:
        cursor.execute(prepare)
        prepared.add(name)
    cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params)
