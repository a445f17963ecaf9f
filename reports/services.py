"""Upkeep of the daily aggregates (SPEC §15): mark the days that changed, fold them, rebuild.

What a row counts: calls, answered, answered seconds and first-time callers (Call.is_first_call,
decided by the ingestion that makes the caller's Contact: a fact of the call, so an erasure or
the purge of the caller's earlier calls moves nothing, and a fold only sums a column), per day,
number, status and the call's attribution (channel, campaign), which attribution changes after
the ingestion commits and reports through calls_changed like any other write.

Why a queue of dirty days rather than moving the aggregates in the ingestion's own statement:
every write path (the prepared ingestion statement on PostgreSQL, the ORM elsewhere, a later
outcome from a webhook, the retention purge, a Client's new time zone) only has to say which local
days changed (calls.signals.calls_changed, inside its transaction), which costs one
`INSERT … ON CONFLICT DO NOTHING` of one small row; the fold then recomputes each marked day from
the calls (one grouped query per run of days), which is exact and idempotent whatever happened to
the calls, instead of each write path keeping its own incremental arithmetic right (an update must
subtract the old status and duration, a purge whole days, a time zone change everything).
Readers read a dirty day from the calls, so answers are exact before the fold runs.

Cost, measured with bench/bench_reports.py (BENCH_SCALE=0.01 on this shared 2-core machine, so
noisy; the lead's full run is in bench/results.md): the ingestion service with the upkeep against
the bare prepared statement, one connection, calls of the moment: 892 vs 1,634 calls/s (0.55)
when every call wrote its mark in the transaction (BEGIN, statement, mark, COMMIT: four round
trips for one); 534 vs 583 calls/s (0.92) once a process remembers the day's committed mark, as
now: nothing unmarks a day before it is over, so the calls of the day skip the mark's statement
and pay only the transaction. A past day's first change marks it and queues one fold 5 s later;
the fold of one day is a grouped query over that day's calls (milliseconds). The 12-month
dashboard of a 25,000-call Client fell from 96 to 108 ms (the scan) to 16 to 21 ms.

The ingestion on PostgreSQL goes further: its prepared statement writes the mark itself
(`changed_days_statement`, registered as calls.signals.ChangedDaysSql), so a call and its mark
are one round trip and one implicit transaction, with neither BEGIN nor COMMIT of ours (an
ingestion request went from BEGIN, statement, COMMIT to the statement alone); the mark of a day
already marked is an index probe inside it. Every other write (and SQLite) sends calls_changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Field, Max, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Client
from attribution.services import call_attribution_copies_sync
from calls.models import Call, CallStatus
from reports.models import DailyAggregate, DirtyDay
from reports.selectors import CALL_CAMPAIGN, CALL_CHANNEL

# Days recomputed per transaction by a fold: short locks, bounded memory.
FOLD_DAYS = 31
FOLD_DELAY_SECONDS = 5
ANSWERED = Q(status=CallStatus.ANSWERED)


def local_day(client: Client, moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment, client.tzinfo).date()


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _dirty_names() -> tuple[str, dict[str, str]]:
    """DirtyDay's quoted table and columns, from the model's metadata."""
    quote = connection.ops.quote_name
    columns = {}
    for name in ("client", "day", "marked_at"):
        field = DirtyDay._meta.get_field(name)
        assert isinstance(field, Field)
        columns[name] = quote(field.column or field.name)
    return quote(DirtyDay._meta.db_table), columns


def dirty_days_mark(*, client: Client, days: Iterable[dt.date]) -> int:
    """Mark the Client's `days` as changed; returns how many were not marked yet. Call inside the
    transaction of the change: the mark commits or rolls back with it."""
    days = sorted(set(days))
    if not days:
        return 0
    table, column = _dirty_names()
    client_id = DirtyDay._meta.get_field("client").get_db_prep_value(client.pk, connection)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params: list[Any] = []
    for day in days:
        params += [client_id, connection.ops.adapt_datefield_value(day), now]
    with connection.cursor() as cursor:
        # RETURNING tells the days that were clean: only those need a fold queued.
        cursor.execute(
            f"INSERT INTO {table} ({column['client']}, {column['day']}, {column['marked_at']}) "
            f"VALUES {', '.join(['(%s, %s, %s)'] * len(days))} "
            f"ON CONFLICT ({column['client']}, {column['day']}) DO NOTHING RETURNING {column['day']}",
            params,
        )
        return len(cursor.fetchall())


# Per Client, the (time zone, day) whose mark this process saw committed: the calls of the
# moment then skip the mark's statement (each process asks once a day per Client).
_today_marked: dict[Any, tuple[str, dt.date]] = {}


def calls_changed_mark(*, client: Client, first: dt.datetime, last: dt.datetime) -> None:
    """calls_changed's receiver: mark the local days from `first` to `last`, and fold them soon
    after the change commits (a Celery task; eager in development)."""
    days = days_between(local_day(client, first), local_day(client, last))
    today = timezone.localdate(timezone=client.tzinfo)
    marked_today = (client.time_zone, today)
    if days == [today] and _today_marked.get(client.pk) == marked_today:
        return  # committed earlier, and nothing unmarks a day before it is over
    newly = dirty_days_mark(client=client, days=days)
    if today in days:
        client_id = client.pk
        transaction.on_commit(lambda: _today_marked.__setitem__(client_id, marked_today))
    # Today is always read from the calls: its mark waits, without a task, until the day is over
    # (the periodic fold), so a busy day's ingestions find it marked and queue nothing.
    if newly and days[0] < today:
        from reports.tasks import aggregates_fold_task

        fold_client_id = str(client.pk)
        # A few seconds later: the calls of a late batch for that day meanwhile find the day
        # marked and queue nothing more (one fold for the batch, not one per call).
        transaction.on_commit(
            lambda: aggregates_fold_task.apply_async([fold_client_id], countdown=FOLD_DELAY_SECONDS)
        )


def changed_days_statement(*, client: str, time_zone: str, moments: str, now: str) -> str:
    """The mark of calls_changed_mark as SQL run inside the ingestion's own statement on
    PostgreSQL (calls.signals.ChangedDaysSql): the local days of `moments` in the Client's time
    zone, inserted unless marked; returns the days newly marked. The local day is PostgreSQL's
    `AT TIME ZONE`, as the fold's (TruncDate with the Client's zone)."""
    table, column = _dirty_names()
    return (
        f"INSERT INTO {table} ({column['client']}, {column['day']}, {column['marked_at']}) "
        f"SELECT DISTINCT {client}, (moment AT TIME ZONE {time_zone})::date, {now} "
        f"FROM {moments} AS moments (moment) "
        f"ON CONFLICT ({column['client']}, {column['day']}) DO NOTHING RETURNING {column['day']}"
    )


def changed_days_marked(*, client: Client, days: list[dt.date]) -> None:
    """After changed_days_statement: a past day newly marked gets its fold queued, as in
    calls_changed_mark (today's waits for the end of the day)."""
    if days and days[0] < timezone.localdate(timezone=client.tzinfo):
        from reports.tasks import aggregates_fold_task

        fold_client_id = str(client.pk)
        transaction.on_commit(
            lambda: aggregates_fold_task.apply_async([fold_client_id], countdown=FOLD_DELAY_SECONDS)
        )


def _day_rows(client: Client, start: dt.date, end: dt.date) -> list[DailyAggregate]:
    """The aggregate rows of the Client's days from `start` to `end` inclusive, from the calls
    (one row per day, number, status, channel and campaign: the attribution each call carries)."""
    low = dt.datetime.combine(start, dt.time.min, tzinfo=client.tzinfo)
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=client.tzinfo)
    grouped = (
        Call.objects.for_client(client)
        .filter(started_at__gte=low, started_at__lt=high)
        .annotate(
            day=TruncDate("started_at", tzinfo=client.tzinfo),
            call_channel=CALL_CHANNEL,
            call_campaign=CALL_CAMPAIGN,
        )
        .values("day", "tracking_number_id", "status", "call_channel", "call_campaign")
        .annotate(
            n=Count("id"),
            answered=Count("id", filter=ANSWERED),
            seconds=Sum("duration_seconds", filter=ANSWERED),
            first=Count("id", filter=Q(is_first_call=True)),
        )
        .order_by()
    )
    return [
        DailyAggregate(
            client=client,
            day=row["day"],
            tracking_number_id=row["tracking_number_id"],
            status=row["status"],
            channel=row["call_channel"],
            campaign=row["call_campaign"],
            calls=row["n"],
            answered=row["answered"],
            answered_seconds=row["seconds"] or 0,
            first_callers=row["first"],
        )
        for row in grouped
    ]


def _runs(days: list[dt.date], limit: int) -> list[list[dt.date]]:
    """Sorted days cut into runs of consecutive days, each at most `limit` long."""
    runs: list[list[dt.date]] = []
    for day in days:
        if runs and day - runs[-1][-1] == dt.timedelta(days=1) and len(runs[-1]) < limit:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


def _unmark(client: Client, days: list[dt.date]) -> list[dt.date]:
    """Remove the marks of `days` and return those this transaction removed (locked until it
    ends): a concurrent fold of the same day then finds nothing to do."""
    table, column = _dirty_names()
    client_id = DirtyDay._meta.get_field("client").get_db_prep_value(client.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE {column['client']} = %s"
            f" AND {column['day']} IN ({', '.join(['%s'] * len(days))}) RETURNING {column['day']}",
            [client_id, *(connection.ops.adapt_datefield_value(day) for day in days)],
        )
        removed = [row[0] for row in cursor.fetchall()]
    return sorted(dt.date.fromisoformat(day) if isinstance(day, str) else day for day in removed)


def aggregates_fold(*, client: Client) -> int:
    """Recompute the aggregate rows of the Client's dirty days that are over from the calls;
    returns how many days were folded. Idempotent; safe beside concurrent writes and folds: a call written while a
    day is folded marks it again (its mark waits for the fold's transaction), so the next fold
    takes it."""
    folded = 0
    today = timezone.localdate(timezone=client.tzinfo)
    while True:
        pending = list(
            DirtyDay.objects.for_client(client)
            .filter(day__lt=today)
            .order_by("day")
            .values_list("day", flat=True)[: FOLD_DAYS * 4]
        )
        if not pending:
            return folded
        for run in _runs(pending, FOLD_DAYS):
            with transaction.atomic():
                days = _unmark(client, run)
                if not days:
                    continue
                DailyAggregate.objects.for_client(client).filter(day__in=days).delete()
                rows = [row for row in _day_rows(client, days[0], days[-1]) if row.day in days]
                DailyAggregate.objects.bulk_create(rows, batch_size=1000)
                folded += len(days)


def aggregates_rebuild(*, client: Client) -> int:
    """Recompute every aggregate of the Client from its calls and their attributions
    (`rebuild_aggregates`): each call's copy of its channel and campaign is checked against its
    attribution, the Client's days with calls are marked, its rows dropped, then folded. Returns the
    number of days with calls."""
    call_attribution_copies_sync(client=client)
    with transaction.atomic():
        DailyAggregate.objects.for_client(client).delete()
        span = Call.objects.for_client(client).aggregate(
            first=Min("started_at"), last=Max("started_at")
        )
        if span["first"] is not None:
            dirty_days_mark(
                client=client,
                days=days_between(
                    local_day(client, span["first"]), local_day(client, span["last"])
                ),
            )
    aggregates_fold(client=client)
    return DailyAggregate.objects.for_client(client).values("day").distinct().count()


def client_time_zone_changed(*, client: Client) -> None:
    """Every local day moves with the time zone: drop the Client's rows and mark its whole span
    dirty in this transaction (cheap: two index probes and a row a day), fold after commit."""
    DailyAggregate.objects.for_client(client).delete()
    span = Call.objects.for_client(client).aggregate(
        first=Min("started_at"), last=Max("started_at")
    )
    if span["first"] is not None:
        calls_changed_mark(client=client, first=span["first"], last=span["last"])


def dirty_clients_fold_across_clients() -> int:
    """Fold every Client's dirty days that are over: every five minutes (reports/migrations/0002),
    for the days that ended since, and behind any queued fold that was lost."""
    folded = 0
    # A Client's yesterday is at the latest UTC's today (UTC+14): later marks wait for their end.
    latest = timezone.now().date()
    client_ids = (
        DirtyDay.objects.across_clients()
        .filter(day__lte=latest)
        .values_list("client_id", flat=True)
        .distinct()
    )
    for client in Client.objects.filter(pk__in=list(client_ids)):
        folded += aggregates_fold(client=client)
    return folded
