"""Deleting a Client's expired calls in batches: the writes behind retention's calls job.

A batch is a slice of the `(client_id, started_at DESC, id DESC)` index, newest first, named by
its two ends rather than by its ids: each statement then reads one narrow index range, no id
travels to Python and back, and no batch rescans the entries of the ones before it. One batch of
5,000 rows costs about 0.2 s on 1M calls (bench/bench_retention.py), most of it PostgreSQL's
foreign-key checks at COMMIT, which one `DELETE` of the same rows pays too.

The SQL is plain enough for PostgreSQL and SQLite (>= 3.35) alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import Client
from calls.models import MEDIA_FLAGS, MEDIA_MODELS, Call, Contact
from calls.services import media_shred
from calls.signals import calls_changed

CALLS = Call._meta.db_table
CONTACTS = Contact._meta.db_table

# A place in the index: (started_at, id) as the database returns them.
Position = tuple[Any, Any]


def _between(
    alias: str, *, client_id: Any, cutoff: Any, ceiling: Position | None, floor: Position | None
) -> tuple[str, list[Any]]:
    """Expired calls of one Client from `floor` (inclusive) up to `ceiling` (exclusive), as SQL
    conditions on the calls table under `alias` and their parameters.

    Each end is written twice: a plain bound on started_at that the index can seek to, and the
    exact (started_at, id) comparison that settles ties between equal times."""
    conditions = [f"{alias}.client_id = %s", f"{alias}.started_at < %s"]
    params = [client_id, cutoff]
    if ceiling is not None:
        conditions += [f"{alias}.started_at <= %s", f"({alias}.started_at < %s OR {alias}.id < %s)"]
        params += [ceiling[0], *ceiling]
    if floor is not None:
        conditions += [
            f"{alias}.started_at >= %s",
            f"({alias}.started_at > %s OR {alias}.id >= %s)",
        ]
        params += [floor[0], *floor]
    return " AND ".join(conditions), params


@dataclass(frozen=True)
class ExpiredCallBatch:
    """The expired calls of one Client between two positions of the index, newest first: from
    `floor` (inclusive) up to `ceiling` (exclusive; None for the cutoff itself)."""

    client_id: Any
    cutoff: Any
    ceiling: Position | None
    floor: Position
    is_last: bool
    client: Client

    def where(self, alias: str) -> tuple[str, list[Any]]:
        return _between(
            alias,
            client_id=self.client_id,
            cutoff=self.cutoff,
            ceiling=self.ceiling,
            floor=self.floor,
        )


def expired_call_batch(
    *, client: Client, cutoff: dt.datetime, after: ExpiredCallBatch | None, size: int
) -> ExpiredCallBatch | None:
    """The next batch of at most `size` calls started before `cutoff`, below the batch `after`
    (None to start at the cutoff); None when no expired call is left there."""
    client_id = Call._meta.get_field("client").get_db_prep_value(client.pk, connection)
    cutoff_value = connection.ops.adapt_datetimefield_value(cutoff)
    ceiling = after.floor if after is not None else None
    where, params = _between(
        "c", client_id=client_id, cutoff=cutoff_value, ceiling=ceiling, floor=None
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT started_at, id, count(*) OVER () FROM ("
            f" SELECT c.started_at, c.id FROM {CALLS} c WHERE {where}"
            f" ORDER BY c.started_at DESC, c.id DESC LIMIT %s"
            f") page ORDER BY started_at, id LIMIT 1",
            [*params, size],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    started_at, pk, count = row
    return ExpiredCallBatch(
        client_id,
        cutoff_value,
        ceiling,
        floor=(started_at, pk),
        is_last=count < size,
        client=client,
    )


def expired_call_batch_media_shred(*, client: Client, batch: ExpiredCallBatch) -> dict[str, int]:
    """Shred the recordings and voice messages of the batch's calls (they protect their call);
    returns how many of each kind there were, by their plural names."""
    shredded: dict[str, int] = {}
    for kind, model in MEDIA_MODELS.items():
        where, params = batch.where("c")
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT m.id FROM {model._meta.db_table} m JOIN {CALLS} c ON c.id = m.call_id "
                f"WHERE c.{MEDIA_FLAGS[kind]} AND {where}",
                params,
            )
            ids = [row[0] for row in cursor.fetchall()]
        for media in model.objects.for_client(client).filter(pk__in=ids) if ids else ():
            media_shred(media=media, reason="retention")
        if ids:
            shredded[f"{kind}s"] = len(ids)
    return shredded


def expired_call_batch_delete(*, batch: ExpiredCallBatch) -> tuple[int, int]:
    """Delete the batch's calls and the Contacts they leave without any call; returns both
    counts. Call inside a transaction, after `expired_call_batch_media_shred`.

    The Contacts go first, while their calls can still be told apart from the rest: one whose
    every call lies in the batch is about to have none (the foreign key is checked at COMMIT)."""
    inside, inside_params = batch.where("c")
    rest, rest_params = batch.where("other")
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH touched AS MATERIALIZED ("
            f" SELECT DISTINCT c.contact_id FROM {CALLS} c WHERE {inside}"
            f"), orphaned AS MATERIALIZED ("
            f" SELECT contact_id FROM touched WHERE NOT EXISTS (SELECT 1 FROM {CALLS} other"
            f"  WHERE other.contact_id = touched.contact_id AND NOT ({rest}))"
            f") DELETE FROM {CONTACTS} WHERE id IN (SELECT contact_id FROM orphaned)"
            # sqlite3 has no rowcount for a statement that opens with WITH.
            f" RETURNING id",
            [*inside_params, *rest_params],
        )
        contacts = len(cursor.fetchall())
        where, params = batch.where(CALLS)
        # The days the batch spans, for the daily aggregates (calls_changed: they move with it).
        cursor.execute(
            f"SELECT min(started_at), max(started_at) FROM {CALLS} WHERE {where}", params
        )
        first, last = (_datetime(value) for value in cursor.fetchone())
        cursor.execute(f"DELETE FROM {CALLS} WHERE {where}", params)
        calls = cursor.rowcount
    if first is not None and last is not None:
        calls_changed.send(sender=Call, client=batch.client, first=first, last=last)
    return calls, contacts


def _datetime(value: Any) -> dt.datetime | None:
    """A started_at as a raw cursor returns it (sqlite3 gives text) as an aware datetime."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, dt.datetime) and timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value
