"""Reads of the daily aggregates (SPEC §15): the days that are over and folded come from
DailyAggregate, today (and later) and the days still dirty from the calls, grouped the same way,
so every answer is exact and its cost follows the days shown, not the calls made."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Count, F, Field, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Client
from calls.models import Call, CallStatus, TrackingNumber
from calls.selectors import (
    STATS_GROUPS,
    STATS_GROUPS_BY_NAME,
    Period,
    call_stats_scan,
    stats_row,
)
from reports.models import DailyAggregate, DirtyDay

ANSWERED = Q(status=CallStatus.ANSWERED)

# The dimensions the facts can be split by: `channel` and `campaign` are the call's attribution
# (blank channel and null campaign when the call is not attributed).
DIMENSIONS = ("day", "status", "tracking_number", "source", "campaign", "channel")
FACTS = ("calls", "answered", "answered_seconds", "first_callers")
SUMS = len(FACTS)
# A fact: (day, tracking number id, status, channel, campaign, *FACTS).
Fact = tuple[dt.date, Any, str, str, str | None, int, int, int, int]
# The call's attribution, as attribution copies it onto the call and the fold copies it on.
CALL_CHANNEL = F("attributed_channel")
CALL_CAMPAIGN = F("attributed_campaign")


def _split_days(client: Client, period: Period) -> tuple[Q, list[dt.date]]:
    """The period's folded days (a condition on the aggregates) and its live days, read from the
    calls: today and later, and the days still dirty."""
    today = timezone.localdate(timezone=client.tzinfo)
    dirty = set(
        DirtyDay.objects.for_client(client)
        .filter(day__gte=period.first_day, day__lte=min(period.last_day, today))
        .values_list("day", flat=True)
    )
    folded = Q(day__gte=period.first_day, day__lte=period.last_day, day__lt=today)
    if dirty:
        folded &= ~Q(day__in=sorted(dirty))
    return folded, [day for day in period.days() if day >= today or day in dirty]


def _day_ranges(client: Client, days: Sequence[dt.date]) -> Q:
    """Calls started on one of `days` (local): one range per run of consecutive days."""
    condition = Q(pk__in=[])
    start = previous = None
    for day in [*days, None]:
        if day is not None and previous is not None and day - previous == dt.timedelta(days=1):
            previous = day
            continue
        if start is not None and previous is not None:
            low, high = Period(start, previous).bounds(client)
            condition |= Q(started_at__gte=low, started_at__lt=high)
        start = previous = day
    return condition


# Each dimension's path from an aggregate row.
AGGREGATE_PATHS = {
    "day": "day",
    "status": "status",
    "channel": "channel",
    "campaign": "campaign",
    "tracking_number": "tracking_number__number",
    "source": "tracking_number__source",
}


def _live_facts(client: Client, live: list[dt.date]) -> list[Fact]:
    """The live days' calls summed into the aggregates' shape (one query)."""
    if not live:
        return []
    live_set = set(live)
    grouped = (
        Call.objects.for_client(client)
        .filter(_day_ranges(client, live))
        .annotate(
            local_day=TruncDate("started_at", tzinfo=client.tzinfo),
            call_channel=CALL_CHANNEL,
            call_campaign=CALL_CAMPAIGN,
        )
        .values("local_day", "tracking_number_id", "status", "call_channel", "call_campaign")
        .annotate(
            n=Count("id"),
            a=Count("id", filter=ANSWERED),
            s=Sum("duration_seconds", filter=ANSWERED),
            f=Count("id", filter=Q(is_first_call=True)),
        )
        .order_by()
        .values_list(
            "local_day",
            "tracking_number_id",
            "status",
            "call_channel",
            "call_campaign",
            "n",
            "a",
            "s",
            "f",
        )
    )
    return [
        (day, number, status, channel, campaign, n, a, s or 0, f)
        for day, number, status, channel, campaign, n, a, s, f in grouped
        if day in live_set
    ]


def _runs(days: list[dt.date]) -> list[list[dt.date]]:
    """Sorted days cut into runs of consecutive days."""
    runs: list[list[dt.date]] = []
    for day in days:
        if runs and day - runs[-1][-1] == dt.timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


def _column(model: Any, name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, Field)
    return connection.ops.quote_name(field.column or field.name)


def _grouping_sets(
    client: Client, period: Period, groupings: Sequence[tuple[str, ...]]
) -> list[dict[tuple[Any, ...], list[int]]]:
    """Every grouping of the period in one statement on PostgreSQL (after a probe of the dirty
    days): the folded days' aggregate rows and the live days' calls (today and later, and the
    days still dirty) in one stream of facts, summed by each grouping at once (GROUPING SETS):
    every group comes back once, told apart by GROUPING(). Nothing is summed in Python,
    whatever the number of calls. Identifiers come from the models' metadata;
    values are bound parameters."""
    quote = connection.ops.quote_name
    aggregate = quote(DailyAggregate._meta.db_table)
    call_table = quote(Call._meta.db_table)
    a = {name: _column(DailyAggregate, name) for name in ("client", "day", "tracking_number")}
    c = {
        name: _column(Call, name)
        for name in (
            "id",
            "client",
            "tracking_number",
            "status",
            "started_at",
            "duration_seconds",
            "is_first_call",
            "attributed_channel",
            "attributed_campaign",
        )
    }
    shape = ["day", "tracking_number", "status", "channel", "campaign", *FACTS]
    columns = ", ".join(quote(name) for name in shape)
    aggregate_columns = ", ".join(f"a.{_column(DailyAggregate, name)}" for name in shape)
    local_day = f"(c.{c['started_at']} AT TIME ZONE %(tz)s)::date"

    def summed(where: str, day: str | None = None) -> str:
        """The calls matching `where` summed into the aggregates' shape before they join the
        aggregate rows: the grouping sets then sum a few rows per live day, not its every call
        (a day of a 5M-call Client is thousands of calls). Each call's local day is a key,
        unless `day` names the one day every call matched falls on (today): the time zone
        conversion was a fifth of the read of today's calls at 5M (bench/bench_reports.py).
        The status is a key too, so a group's calls are all answered or none is: the answered
        facts are taken from the group's sums rather than filtered call by call (a sixth of the
        read of today's calls)."""
        keys = [(local_day, "day")] if day is None else []
        keys += [
            (f"c.{c[column]}", alias)
            for column, alias in (
                ("tracking_number", "tracking_number"),
                ("status", "status"),
                ("attributed_channel", "channel"),
                ("attributed_campaign", "campaign"),
            )
        ]
        named = ", ".join(f"{expression} AS {alias}" for expression, alias in keys)
        grouped = ", ".join(expression for expression, _alias in keys)
        answered = "g.status = %(answered)s"
        return f"""SELECT {day or "g.day"}, g.tracking_number, g.status, g.channel, g.campaign,
                g.calls, CASE WHEN {answered} THEN g.calls ELSE 0 END,
                CASE WHEN {answered} THEN g.seconds ELSE 0 END, g.first_callers
            FROM (
                SELECT {named}, COUNT(*) AS calls,
                    COALESCE(SUM(c.{c["duration_seconds"]}), 0) AS seconds,
                    COUNT(*) FILTER (WHERE c.{c["is_first_call"]}) AS first_callers
                FROM {call_table} c WHERE {where}
                GROUP BY {grouped}
            ) g"""  # noqa: S608

    today = timezone.localdate(timezone=client.tzinfo)
    start, end = period.bounds(client)
    params: dict[str, Any] = {
        "client": DailyAggregate._meta.get_field("client").get_db_prep_value(client.pk, connection),
        "first": period.first_day,
        "over": min(period.last_day, today - dt.timedelta(days=1)),
        "tz": client.time_zone,
        "answered": CallStatus.ANSWERED.value,
        "live_start": max(start, dt.datetime.combine(today, dt.time.min, tzinfo=client.tzinfo)),
        "end": end,
    }
    # The dirty days first (a probe of a tiny table): a join of the calls to them inside the
    # statement made the planner expect a day of calls per dirty day, then JIT-compile the
    # statement (100 ms of 200 at 5M calls) even when no day was dirty (bench/bench_reports.py).
    dirty = list(
        DirtyDay.objects.for_client(client)
        .filter(day__gte=period.first_day, day__lte=params["over"])
        .order_by("day")
        .values_list("day", flat=True)
    )
    facts = f"""
        SELECT {aggregate_columns} FROM {aggregate} a
        WHERE a.{a["client"]} = %(client)s AND a.{a["day"]} BETWEEN %(first)s AND %(over)s"""  # noqa: S608
    if dirty:
        params.update({f"dirty{index}": day for index, day in enumerate(dirty)})
        excluded = ", ".join(f"%(dirty{index})s" for index in range(len(dirty)))
        ranges = []
        for index, run in enumerate(_runs(dirty)):
            low, high = Period(run[0], run[-1]).bounds(client)
            params[f"low{index}"], params[f"high{index}"] = low, high
            ranges.append(
                f"(c.{c['started_at']} >= %(low{index})s AND c.{c['started_at']} < %(high{index})s)"
            )
        facts += f""" AND a.{a["day"]} NOT IN ({excluded})
        UNION ALL
        {summed(f"c.{c['client']} = %(client)s AND ({' OR '.join(ranges)})")}"""
    if period.last_day >= today:
        params["today"] = today
        facts += f"""
        UNION ALL
        {
            summed(
                f"c.{c['client']} = %(client)s AND c.{c['started_at']} >= %(live_start)s"
                f" AND c.{c['started_at']} < %(end)s",
                day="%(today)s::date" if period.last_day == today else None,
            )
        }"""
    expressions = {
        "day": "f.day",
        "status": "f.status",
        "channel": "f.channel",
        "campaign": "f.campaign",
        "tracking_number": f"t.{_column(TrackingNumber, 'number')}",
        "source": f"t.{_column(TrackingNumber, 'source')}",
    }
    used = list(dict.fromkeys(name for by in groupings for name in by))
    join = ""
    if {"tracking_number", "source"} & set(used):
        join = (
            f" JOIN {quote(TrackingNumber._meta.db_table)} t"
            f" ON t.{_column(TrackingNumber, 'id')} = f.tracking_number"
            f" AND t.{_column(TrackingNumber, 'client')} = %(client)s"
        )
    selected = [expressions[name] for name in used]
    # GROUPING(…) sets a bit (the first column the highest) for each column a set leaves out.
    grouping = f"GROUPING({', '.join(selected)})" if selected else "0"
    sums = [f"SUM(f.{quote(fact)})" for fact in FACTS]
    sets = ", ".join("(" + ", ".join(expressions[name] for name in by) + ")" for by in groupings)
    sql = f"""
        WITH f ({columns}) AS ({facts})
        SELECT {", ".join([*selected, grouping, *sums])} FROM f{join}
        GROUP BY GROUPING SETS ({sets})"""  # noqa: S608
    set_of_mask = {}
    for index, by in enumerate(groupings):
        mask = sum(
            1 << (len(used) - 1 - position) for position, name in enumerate(used) if name not in by
        )
        set_of_mask[mask] = index
    positions = [[used.index(name) for name in by] for by in groupings]
    results: list[dict[tuple[Any, ...], list[int]]] = [{} for _ in groupings]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            index = set_of_mask[row[len(used)]]
            key = tuple(row[position] for position in positions[index])
            results[index][key] = [int(value or 0) for value in row[len(used) + 1 :]]
    return results


def _orm_sums(
    aggregates: QuerySet[DailyAggregate], groupings: Sequence[tuple[str, ...]]
) -> list[dict[tuple[Any, ...], list[int]]]:
    """Elsewhere (SQLite): one GROUP BY over the aggregate rows per grouping."""
    sums = {f"sum_{fact}": Sum(fact) for fact in FACTS}
    results = []
    for by in groupings:
        paths = [AGGREGATE_PATHS[name] for name in by]
        grouped: dict[tuple[Any, ...], list[int]] = {}
        if paths:
            rows = aggregates.values(*paths).annotate(**sums).order_by().values_list(*paths, *sums)
            for row in rows:
                grouped[tuple(row[: len(paths)])] = [int(value or 0) for value in row[len(paths) :]]
        else:
            total = aggregates.aggregate(**sums)
            if total["sum_calls"]:
                grouped[()] = [int(total[name] or 0) for name in sums]
        results.append(grouped)
    return results


def grouped_sums(
    *, client: Client, period: Period, groupings: Sequence[tuple[str, ...]]
) -> list[dict[tuple[Any, ...], list[int]]]:
    """For each grouping (a tuple of DIMENSIONS), the Client's calls in `period` summed by it:
    {values: [calls, answered, answered_seconds, first_callers]}.

    On PostgreSQL, one statement (`_grouping_sets`). Elsewhere the dirty days and the live days'
    calls are read once (a query each), then one GROUP BY of the aggregate rows per grouping."""
    if connection.vendor == "postgresql":
        results = _grouping_sets(client, period, groupings)
        live_rows: list[Fact] = []
    else:
        folded, live = _split_days(client, period)
        live_rows = _live_facts(client, live)
        results = _orm_sums(DailyAggregate.objects.for_client(client).filter(folded), groupings)
    if live_rows:
        for by, sums in zip(groupings, results, strict=True):
            for key, values in _sum_by(live_rows, _keys(client, by)).items():
                into = sums.setdefault(key, [0] * SUMS)
                for index in range(SUMS):
                    into[index] += values[index]
    for by, sums in zip(groupings, results, strict=True):
        if not by:
            sums.setdefault((), [0] * SUMS)
    return results


def _keys(client: Client, by: Sequence[str]) -> Callable[[Fact], tuple[Any, ...]]:
    """A function giving a live fact's values of the dimensions `by`."""
    numbers: dict[Any, TrackingNumber] = {}
    if {"tracking_number", "source"} & set(by):
        numbers = {
            number.pk: number
            for number in TrackingNumber.objects.for_client(client).only("id", "number", "source")
        }
    getters: list[Callable[[Fact], Any]] = []
    for name in by:
        if name == "day":
            getters.append(lambda fact: fact[0])
        elif name == "status":
            getters.append(lambda fact: fact[2])
        elif name == "channel":
            getters.append(lambda fact: fact[3])
        elif name == "campaign":
            getters.append(lambda fact: fact[4])
        elif name == "tracking_number":
            getters.append(lambda fact: numbers[fact[1]].number)
        elif name == "source":
            getters.append(lambda fact: numbers[fact[1]].source)
        else:
            raise ValueError(f"Unknown dimension {name!r}.")
    return lambda fact: tuple(getter(fact) for getter in getters)


def _sum_by(
    rows: list[Fact], key: Callable[[Fact], tuple[Any, ...]]
) -> dict[tuple[Any, ...], list[int]]:
    sums: dict[tuple[Any, ...], list[int]] = {}
    for fact in rows:
        into = sums.setdefault(key(fact), [0] * SUMS)
        for index, value in enumerate(fact[5:]):
            into[index] += value
    return sums


def fact_rows(*, client: Client, period: Period, by: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The Client's calls in `period` summed by the dimensions `by` (names of DIMENSIONS): one
    dict per group with those names and FACTS. A call not attributed has a blank channel and
    campaign here (pandas groups no null)."""
    (sums,) = grouped_sums(client=client, period=period, groupings=[tuple(by)])
    return [
        {
            **{name: "" if value is None else value for name, value in zip(by, key, strict=True)},
            **dict(zip(FACTS, values, strict=True)),
        }
        for key, values in sums.items()
        if values[0] or not by
    ]


def _stats_row(key: Any, values: Sequence[int]) -> dict[str, Any]:
    return stats_row(key, calls=values[0], answered=values[1], answered_seconds=values[2])


def _stats_key(dimension: str, key: Any) -> Any:
    # The calls' stats have one null row for the calls their relation does not reach (a call not
    # attributed): a blank channel here.
    return None if dimension == "channel" and key == "" else key


def _null_rank(key: Any) -> int:
    # Where the database sorts a null (the scan's ORDER BY): last on PostgreSQL, first elsewhere.
    if connection.vendor == "postgresql":
        return 1 if key is None else 0
    return 0 if key is None else 1


def _stats_rows(
    period: Period, dimension: str, sums: dict[tuple[Any, ...], list[int]]
) -> list[dict[str, Any]]:
    if dimension == "day":
        return [
            _stats_row(day.isoformat(), sums.get((day,), (0, 0, 0, 0))) for day in period.days()
        ]
    rows = [
        _stats_row(_stats_key(dimension, key), values)
        for (key,), values in sums.items()
        if values[0]
    ]
    return sorted(rows, key=lambda row: (-row["calls"], _null_rank(row["key"]), row["key"] or ""))


def _totals(sums: dict[tuple[Any, ...], list[int]]) -> dict[str, Any]:
    """Totals from any complete grouping (each call is in exactly one of its groups)."""
    values = [sum(group[index] for group in sums.values()) for index in range(SUMS)]
    totals = _stats_row(None, values)
    del totals["key"]
    return totals


def _dimension(group_by: str) -> str:
    return "day" if STATS_GROUPS_BY_NAME[group_by].field is None else group_by


# The groupings DailyAggregate's own columns answer (every one the calls and attribution
# declare); a grouping another app might register later would come from the calls.
AGGREGATED_GROUPS = frozenset({"day", "tracking_number", "status", "source", "channel", "campaign"})
DASHBOARD_SPLITS = ("day", "source", "status")


class AggregateStatsReader:
    """The dashboard's and the stats API's answers from the aggregates (registered with calls)."""

    def call_stats(self, *, client: Client, period: Period, group_by: str) -> dict[str, Any]:
        if group_by not in AGGREGATED_GROUPS:
            return call_stats_scan(client=client, period=period, group_by=group_by)
        dimension = _dimension(group_by)
        sums, total = grouped_sums(client=client, period=period, groupings=[(dimension,), ()])
        return {"results": _stats_rows(period, dimension, sums), "totals": _totals(total)}

    def dashboard_summary(self, *, client: Client, period: Period) -> dict[str, Any]:
        """Every figure of the dashboard in one statement on PostgreSQL (`_grouping_sets`)."""
        extra = [
            group
            for group in STATS_GROUPS
            if group.name not in {"day", "tracking_number", "status", "source"}
        ]
        aggregated = [group.name for group in extra if group.name in AGGREGATED_GROUPS]
        groupings = [(name,) for name in (*DASHBOARD_SPLITS, *aggregated)] + [()]
        results = dict(
            zip(
                [*DASHBOARD_SPLITS, *aggregated, ""],
                grouped_sums(client=client, period=period, groupings=groupings),
                strict=True,
            )
        )
        totals = _totals(results[""])
        totals["first_time_callers"] = results[""][()][3]
        return {
            "totals": totals,
            "per_day": _stats_rows(period, "day", results["day"]),
            "by_source": _stats_rows(period, "source", results["source"]),
            "by_status": _stats_rows(period, "status", results["status"]),
            "by_dimension": [
                {
                    "dimension": group,
                    "rows": [
                        {**row, "label": group.label_of(row["key"])}
                        for row in (
                            _stats_rows(period, group.name, results[group.name])
                            if group.name in results
                            else self.call_stats(client=client, period=period, group_by=group.name)[
                                "results"
                            ]
                        )
                    ],
                }
                for group in extra
            ],
        }


def aggregate_rows_queryset(*, client: Client, period: Period) -> QuerySet[DailyAggregate]:
    """The raw aggregate rows of a period (the benchmark's floor: reading them and nothing else)."""
    return DailyAggregate.objects.for_client(client).filter(
        day__gte=period.first_day, day__lte=period.last_day
    )
