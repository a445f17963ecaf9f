"""Hooks through which higher apps react to calls without calls importing them (STYLE.md §7e).

- `call_ingested`: sent after the ingesting transaction commits (on PostgreSQL's statement and
  on the ORM path alike), once per ingestion, created or updated, with `call_id` and `client_id`
  (both UUIDs), `created` (bool) and `pool` (bool: the call's tracking number is in the website's
  number pool, read with the number by the ingestion itself), so that a receiver can tell without
  a query that a new call on a number outside the pool concerns it not. A receiver reloads what
  else it needs; one that fails is logged, never fails ingestion (attribution matches the call to
  a website visit).
- `media_keys_rotating`: sent by `media_keys_rotate_across_clients` after the media data keys are
  re-wrapped; a receiver re-seals what it keeps under RECORDING_KEYS and returns its counts
  (`dict[str, int]`), which join the rotation's audit record and the command's report.
- `call_detail_facts`: sent when a call's detail is built, for the call page and for the API.
  A receiver returns `(label, value)` pairs to show on the call page (telephony shows where the
  call was put through, attribution the call's channel and campaign).
- `call_detail_fields`: sent when the API's detail of a call is built; a receiver returns a dict
  of keys to add to it (attribution adds its `attribution` object, null when none).
- `calls_changed`: sent inside the transaction of every write that adds, deletes or changes the
  counted facts of a Client's calls (number, status, duration, start): the ingestion, a later
  outcome, the retention purge, and attribution when it attributes a call or removes its
  attribution (the aggregates count calls by channel and campaign). `client` is the Client; every local day (its time zone) from the
  day of `first` to the day of `last` (datetimes) may have changed. The reports app marks those
  days for its daily aggregates; an erasure sends nothing (the facts stay).
  One exception, the hot path: when a higher app registers a `ChangedDaysSql`
  (`changed_days_sql_register`), the ingestion on PostgreSQL writes that app's mark in its own
  statement (one round trip and one implicit transaction for the call and its mark) and calls
  its `marked` instead of sending `calls_changed`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.dispatch import Signal

call_ingested = Signal()  # sender=Call, call_id, client_id, created, pool
media_keys_rotating = Signal()
call_detail_facts = Signal()
calls_changed = Signal()  # sender=Call, client, first, last
call_detail_fields = Signal()


@dataclass(frozen=True)
class ChangedDaysSql:
    """A higher app's mark of the local days a call write changed, as SQL that runs inside the
    write's own statement on PostgreSQL (a data-modifying CTE).

    `statement(client=, time_zone=, moments=, now=)` gets SQL expressions for the Client's id,
    its time zone's name and the write's time (bound parameters), and `moments`, a parenthesised
    subquery of one `timestamptz` column: the moments whose local days changed (none when the
    statement wrote nothing). It returns an `INSERT … RETURNING` of one `date` column: the days
    it newly marked. `marked(client=, days=)` is called right after the statement with the
    Client and those days (`transaction.on_commit` then waits for an outer transaction if one is
    open, else runs at once: the statement committed by itself)."""

    statement: Callable[..., str]
    marked: Callable[..., None]


_changed_days_sql: list[ChangedDaysSql] = []


def changed_days_sql_register(hook: ChangedDaysSql) -> None:
    """Register the one `ChangedDaysSql` (from a higher app's AppConfig.ready)."""
    _changed_days_sql[:] = [hook]


def changed_days_sql() -> ChangedDaysSql | None:
    return _changed_days_sql[0] if _changed_days_sql else None
