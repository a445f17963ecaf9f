"""Matching a call to the visit whose lease held its number at `started_at`, on PostgreSQL in one
statement (bench/bench_attribution.py: it runs after every ingestion, and the ORM's five round
trips cost several times the ingestion's own single prepared statement). Built from the models'
metadata; other databases (SQLite in development) run the ORM path in attribution.services.call_matching."""

from __future__ import annotations

import functools
import uuid

from django.db import connection
from django.db.models import Field, Model

from accounts.models import Client
from attribution.models import CallAttribution, Lease, Visit
from calls.models import Call, TrackingNumber
from calls.signals import calls_changed, changed_days_sql
from dexem.db import execute_prepared

# Attribution column <- SQL over the matched visit `v` (and `best` for the ambiguity).
_COPIED = {
    "visit": "v.{id}",
    "channel": "v.{channel}",
    "source": "COALESCE(NULLIF(v.{utm_source}, ''), v.{referrer_host})",
    "medium": "v.{utm_medium}",
    "campaign": "v.{utm_campaign}",
    "term": "v.{utm_term}",
    "content": "v.{utm_content}",
    "landing_path": "v.{landing_path}",
    "referrer_host": "v.{referrer_host}",
    "click_id_kind": "v.{click_id_kind}",
    "click_id": "v.{click_id}",
    "ambiguous": "best.ambiguous",
    "matched_at": "now()",
}


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _col(model: type[Model], field: str) -> str:
    column = model._meta.get_field(field)
    assert isinstance(column, Field)
    return _q(column.column or column.name)


def _table(model: type[Model]) -> str:
    return _q(model._meta.db_table)


_STATEMENT = "dexem_call_match"
# The first key of the advisory lock a match of one call holds (the second: a hash of the call's
# id). Two-key advisory locks do not share their keys with the one-key locks used elsewhere.
MATCH_LOCK_CLASS = 17_001


@functools.cache
def match_sql() -> str:
    """The PREPARE of the matching statement: planning it costs more than running it."""
    visit_columns = {
        name: _col(Visit, name)
        for name in (
            "id",
            "channel",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "utm_term",
            "utm_content",
            "landing_path",
            "referrer_host",
            "click_id_kind",
            "click_id",
        )
    }
    target = [_col(CallAttribution, "call"), _col(CallAttribution, "client")]
    target += [_col(CallAttribution, name) for name in _COPIED]
    values = ["$1", "$2"] + [expression.format(**visit_columns) for expression in _COPIED.values()]
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in target[1:])
    lease_number, lease_start, lease_end = (
        _col(Lease, "tracking_number"),
        _col(Lease, "starts_at"),
        _col(Lease, "ends_at"),
    )
    attribution_call = _col(CallAttribution, "call")
    # The call's copy of its channel and campaign (calls.models.Call), "" and NULL when the
    # match is lost: calls_attribution_copy's work, in this statement.
    call_channel, call_campaign = (
        _col(Call, "attributed_channel"),
        _col(Call, "attributed_campaign"),
    )
    channel, campaign = "COALESCE((SELECT channel FROM ins), '')", "(SELECT campaign FROM ins)"
    # Identifiers only come from the models' metadata (quoted); values are bound parameters.
    return f"""
PREPARE {_STATEMENT} (uuid, uuid) AS
WITH c AS (
    SELECT c.{_col(Call, "tracking_number")} AS number_id, c.{_col(Call, "started_at")} AS at
    FROM {_table(Call)} c JOIN {_table(TrackingNumber)} t
        ON t.{_col(TrackingNumber, "id")} = c.{_col(Call, "tracking_number")}
    WHERE c.{_col(Call, "id")} = $1 AND c.{_col(Call, "client")} = $2
        AND t.{_col(TrackingNumber, "pool")}
), m AS (
    SELECT l.{_col(Lease, "visit")} AS visit_id, l.{_col(Lease, "ambiguous")} AS ambiguous,
        l.{lease_start} AS starts_at
    FROM {_table(Lease)} l JOIN c ON l.{lease_number} = c.number_id
    WHERE l.{lease_start} <= c.at AND l.{lease_end} > c.at
    ORDER BY l.{lease_start} DESC LIMIT 2
), best AS (
    SELECT visit_id, (ambiguous OR (SELECT count(*) FROM m) > 1) AS ambiguous
    FROM m ORDER BY starts_at DESC LIMIT 1
), ins AS (
    INSERT INTO {_table(CallAttribution)} ({", ".join(target)})
    SELECT {", ".join(values)}
    FROM best JOIN {_table(Visit)} v ON v.{visit_columns["id"]} = best.visit_id
    ON CONFLICT ({attribution_call}) DO UPDATE SET {updates}
    RETURNING {_col(CallAttribution, "channel")} AS channel, {_col(CallAttribution, "campaign")} AS campaign
), gone AS (
    DELETE FROM {_table(CallAttribution)}
    WHERE {attribution_call} = $1 AND NOT EXISTS (SELECT 1 FROM best)
    RETURNING 1
), copied AS (
    UPDATE {_table(Call)} SET {call_channel} = {channel}, {call_campaign} = {campaign}
    WHERE {_col(Call, "id")} = $1 AND {_col(Call, "client")} = $2
        AND ({call_channel}, {call_campaign}) IS DISTINCT FROM ({channel}, {campaign})
    RETURNING 1
){_marked_days_sql()}
SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM gone), {_marked_days_column()}
"""  # noqa: S608


def _marked_days_sql() -> str:
    """With the reports app's SQL mark (calls.signals.ChangedDaysSql): the call's local day
    marked changed in the same statement when its attribution was written or removed, so the
    daily aggregates' channel and campaign follow without a round trip of their own."""
    hook = changed_days_sql()
    if hook is None:
        return ""
    # Identifiers from the models' metadata; $1 and $2 are the statement's parameters.
    started = (
        f"(SELECT {_col(Call, 'started_at')} FROM {_table(Call)}"  # noqa: S608
        f" WHERE {_col(Call, 'id')} = $1"
        " AND (EXISTS (SELECT 1 FROM ins) OR EXISTS (SELECT 1 FROM gone)))"
    )
    time_zone = (
        f"(SELECT {_col(Client, 'time_zone')} FROM {_table(Client)}"  # noqa: S608
        f" WHERE {_col(Client, 'id')} = $2)"
    )
    mark = hook.statement(client="$2", time_zone=time_zone, moments=started, now="now()")
    return f", marked AS (\n    {mark}\n)"


def _marked_days_column() -> str:
    return "ARRAY(SELECT * FROM marked)" if changed_days_sql() is not None else "NULL"


def call_match_postgresql(*, call_id: uuid.UUID, client_id: uuid.UUID) -> bool:
    """The statement runs in under a millisecond; waiting for its commit to reach the disk took
    several times the whole ingestion (bench/bench_attribution.py). An attribution is derived
    data, rebuilt by matching the call again, so its commit does not wait for the flush: a
    database crash may lose the last fraction of a second of attributions, never corrupt them.

    One round trip: outside a transaction (after the ingestion's commit, the usual case) the
    `SET LOCAL`, the lock and the statement go as one query, which PostgreSQL runs as one
    implicit transaction, committed without a BEGIN or COMMIT of ours. Inside one, the statement joins it
    and its commit stays the caller's (durable)."""
    with connection.cursor() as cursor:
        # Matches of one call take turns: the statement's snapshot is taken once the lock is
        # held, so it sees what the previous match committed. Without it, a match whose snapshot
        # predates another's commit could leave the call's copy of its channel and campaign
        # disagreeing with the attribution row (the copy's UPDATE skips a row its snapshot
        # finds unchanged, so it is never rechecked against the newer row).
        before = "SELECT pg_advisory_xact_lock(%s, hashtext(%s))"
        if not connection.in_atomic_block:
            # One round trip for all (an implicit transaction), then the commit's.
            before = f"SET LOCAL synchronous_commit TO OFF; {before}"
        execute_prepared(
            cursor,
            name=_STATEMENT,
            prepare=match_sql(),
            params=[str(call_id), str(client_id)],
            before=before,
            before_params=[MATCH_LOCK_CLASS, str(call_id)],
        )
        matched, removed, marked_days = cursor.fetchone()
    hook = changed_days_sql()
    if hook is None:
        if matched or removed:
            call_attribution_changed(call_id=call_id, client_id=client_id)
    elif marked_days:  # rarely: the ingestion marked the call's day already
        hook.marked(client=Client.objects.get(pk=client_id), days=sorted(marked_days))
    return bool(matched)


def call_attribution_changed(*, call_id: uuid.UUID, client_id: uuid.UUID) -> None:
    """A call's channel and campaign are counted by the daily aggregates (reports): say its day
    changed, through calls' own signal (attribution imports nothing above it). After the match
    outside a transaction, the mark follows its commit: a crash between the two leaves a day to
    `rebuild_aggregates`, as the match's own non-durable commit may leave a call to match again."""
    call = (
        Call.objects.filter(pk=call_id, client_id=client_id)
        .select_related("client")
        .only("started_at", "client")
        .first()
    )
    if call is not None:
        calls_changed.send(
            sender=Call, client=call.client, first=call.started_at, last=call.started_at
        )
