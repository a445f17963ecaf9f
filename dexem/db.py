"""Prepared statements on PostgreSQL, for the hot paths whose planning costs more than running
them: call ingestion (calls.upserts), a visit's lease (attribution.leasing), matching a call to
its visit (attribution.matching) and the provider's final status (telephony.services)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import DatabaseError, connection
from django.db.backends.utils import CursorWrapper
from django.db.models import CharField, Field

# SQLSTATE 26000: the session holds no statement of that name (a pooler reset the session).
_NO_SUCH_STATEMENT = "26000"
NAME_MAX = 63  # PostgreSQL cuts longer identifiers, so two long names could become one


def parameter_type(field: object) -> str:
    """The type a PREPARE gives a parameter written to or compared with the model field
    `field`. Text, not varchar(n): an over-long value must fail to match, not be cut to fit."""
    assert isinstance(field, Field), field
    return "text" if isinstance(field, CharField) else str(field.db_type(connection))


def _prepared(cursor: CursorWrapper) -> set[str]:
    """The names prepared on this database session, read from the server when the session is
    new to us: a pooler may hand over a session that holds some already."""
    database = cursor.db
    session, prepared = getattr(database, "dexem_prepared", (None, set[str]()))
    if session is not database.connection:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        prepared = {name for (name,) in cursor.fetchall()}
        database.dexem_prepared = (database.connection, prepared)
    return prepared


def execute_prepared(
    cursor: CursorWrapper,
    *,
    name: str,
    prepare: str,
    params: Sequence[Any],
    before: str = "",
    before_params: Sequence[Any] = (),
) -> None:
    """Run the prepared statement `name` with `params`, first running `prepare`
    (`PREPARE name (types) AS …`) when this database session has not yet; `before` (SQL with
    `before_params`) goes in the same round trip, ahead of the EXECUTE.

    A prepared statement lives as long as the session, and a rolled-back transaction does not
    take it away (PostgreSQL's PREPARE is not transactional): once per connection. Should the
    session lose it all the same, it is prepared again: at once outside a transaction, else by
    the next use (the caller's transaction is aborted and the error raised)."""
    assert len(name) <= NAME_MAX, name
    placeholders = ", ".join(["%s"] * len(params))
    sql = (f"{before}; " if before else "") + f"EXECUTE {name} ({placeholders})"
    arguments = [*before_params, *params]
    for attempt in (1, 2):
        prepared = _prepared(cursor)
        if name not in prepared:
            cursor.execute(prepare)
            prepared.add(name)
        try:
            cursor.execute(sql, arguments)
            return
        except DatabaseError as error:
            if getattr(error.__cause__, "pgcode", None) != _NO_SUCH_STATEMENT:
                raise
            prepared.discard(name)
            if attempt == 2 or cursor.db.in_atomic_block:
                raise
