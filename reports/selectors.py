"""Reads of the daily aggregates (SPEC §15): the days that are over and folded come from
DailyAggregate, today (and later) and the days still dirty from the calls, grouped the same way,
so every answer is exact and its cost follows the days shown, not the calls made."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
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

# The dimensions the facts can be split by (`channel` is blank until the attribution app).
DIMENSIONS = ("day", "status", "tracking_number", "source", "campaign", "channel")
FACTS = ("calls", "answered", "answered_seconds")
# A fact: (day, tracking number id, status, channel, calls, answered, answered_seconds).
Fact = tuple[dt.date, Any, str, str, int, int, int]


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
    "tracking_number": "tracking_number__number",
    "source": "tracking_number__source",
    "campaign": "tracking_number__campaign",
}


def _live_facts(client: Client, live: list[dt.date]) -> list[Fact]:
    """The live days' calls summed into the aggregates' shape (one query)."""
    if not live:
        return []
    live_set = set(live)
    grouped = (
        Call.objects.for_client(client)
        .filter(_day_ranges(client, live))
        .annotate(local_day=TruncDate("started_at", tzinfo=client.tzinfo))
        .values("local_day", "tracking_number_id", "status")
        .annotate(
            n=Count("id"),
            a=Count("id", filter=ANSWERED),
            s=Sum("duration_seconds", filter=ANSWERED),
        )
        .order_by()
        .values_list("local_day", "tracking_number_id", "status", "n", "a", "s")
    )
    return [
        (day, number, status, "", n, a, s or 0)
        for day, number, status, n, a, s in grouped
        if day in live_set
    ]


def grouped_sums(
    *, client: Client, period: Period, groupings: Sequence[tuple[str, ...]]
) -> list[dict[tuple[Any, ...], list[int]]]:
    """For each grouping (a tuple of DIMENSIONS), the Client's calls in `period` summed by it:
    {values: [calls, answered, answered_seconds]}.

    The dirty days and the live days' calls are read once; each grouping of the folded days is
    one GROUP BY over the aggregate rows, which sends back a row per group rather than every
    aggregate row (bench/bench_reports.py)."""
    folded, live = _split_days(client, period)
    live_rows = _live_facts(client, live)
    aggregates = DailyAggregate.objects.for_client(client).filter(folded)
    results = []
    for by in groupings:
        paths = [AGGREGATE_PATHS[name] for name in by]
        sums: dict[tuple[Any, ...], list[int]] = {}
        if paths:
            grouped = (
                aggregates.values(*paths)
                .annotate(c=Sum("calls"), a=Sum("answered"), s=Sum("answered_seconds"))
                .order_by()
                .values_list(*paths, "c", "a", "s")
            )
            for row in grouped:
                sums[tuple(row[:-3])] = [row[-3], row[-2], row[-1]]
        else:
            total = aggregates.aggregate(
                c=Sum("calls"), a=Sum("answered"), s=Sum("answered_seconds")
            )
            sums[()] = [total["c"] or 0, total["a"] or 0, total["s"] or 0]
        if live_rows:
            for key, values in _sum_by(live_rows, _keys(client, by)).items():
                into = sums.setdefault(key, [0, 0, 0])
                for index in range(3):
                    into[index] += values[index]
        results.append(sums)
    return results


def _keys(client: Client, by: Sequence[str]) -> Callable[[Fact], tuple[Any, ...]]:
    """A function giving a live fact's values of the dimensions `by`."""
    numbers: dict[Any, TrackingNumber] = {}
    if {"tracking_number", "source", "campaign"} & set(by):
        numbers = {
            number.pk: number
            for number in TrackingNumber.objects.for_client(client).only(
                "id", "number", "source", "campaign"
            )
        }
    getters: list[Callable[[Fact], Any]] = []
    for name in by:
        if name == "day":
            getters.append(lambda fact: fact[0])
        elif name == "status":
            getters.append(lambda fact: fact[2])
        elif name == "channel":
            getters.append(lambda fact: fact[3])
        elif name == "tracking_number":
            getters.append(lambda fact: numbers[fact[1]].number)
        elif name in ("source", "campaign"):
            getters.append(functools.partial(_number_attribute, numbers, name))
        else:
            raise ValueError(f"Unknown dimension {name!r}.")
    return lambda fact: tuple(getter(fact) for getter in getters)


def _sum_by(
    rows: list[Fact], key: Callable[[Fact], tuple[Any, ...]]
) -> dict[tuple[Any, ...], list[int]]:
    sums: dict[tuple[Any, ...], list[int]] = {}
    for fact in rows:
        into = sums.setdefault(key(fact), [0, 0, 0])
        into[0] += fact[4]
        into[1] += fact[5]
        into[2] += fact[6]
    return sums


def fact_rows(*, client: Client, period: Period, by: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The Client's calls in `period` summed by the dimensions `by` (names of DIMENSIONS): one
    dict per group with those names and `calls`, `answered`, `answered_seconds`."""
    (sums,) = grouped_sums(client=client, period=period, groupings=[tuple(by)])
    return [
        {**dict(zip(by, key, strict=True)), **dict(zip(FACTS, values, strict=True))}
        for key, values in sums.items()
        if values[0] or not by
    ]


def _stats_rows(period: Period, sums: dict[tuple[Any, ...], list[int]], *, by_day: bool):
    if by_day:
        return [
            stats_row(day.isoformat(), **dict(zip(FACTS, sums.get((day,), (0, 0, 0)), strict=True)))
            for day in period.days()
        ]
    rows = [
        stats_row(key, **dict(zip(FACTS, values, strict=True)))
        for (key,), values in sums.items()
        if values[0]
    ]
    return sorted(rows, key=lambda row: (-row["calls"], row["key"]))


def _totals(sums: dict[tuple[Any, ...], list[int]]) -> dict[str, Any]:
    """Totals from any complete grouping (each call is in exactly one of its groups)."""
    values = [sum(group[index] for group in sums.values()) for index in range(3)]
    totals = stats_row(None, **dict(zip(FACTS, values, strict=True)))
    del totals["key"]
    return totals


def _dimension(group_by: str) -> str:
    return "day" if STATS_GROUPS_BY_NAME[group_by].field is None else group_by


# The groupings DailyAggregate's own columns answer; the others come from the calls.
AGGREGATED_GROUPS = frozenset({"day", "tracking_number", "status", "source"})


class AggregateStatsReader:
    """The dashboard's and the stats API's answers from the aggregates (registered with calls)."""

    def call_stats(self, *, client: Client, period: Period, group_by: str) -> dict[str, Any]:
        if group_by not in AGGREGATED_GROUPS:
            # A higher app's grouping (attribution's channel, campaign): the aggregates do not
            # hold it yet, so it is answered exactly from the calls.
            return call_stats_scan(client=client, period=period, group_by=group_by)
        dimension = _dimension(group_by)
        (sums,) = grouped_sums(client=client, period=period, groupings=[(dimension,)])
        return {
            "results": _stats_rows(period, sums, by_day=dimension == "day"),
            "totals": _totals(sums),
        }

    def dashboard_summary(self, *, client: Client, period: Period) -> dict[str, Any]:
        by_day, by_source, by_status = grouped_sums(
            client=client, period=period, groupings=[("day",), ("source",), ("status",)]
        )
        return {
            "totals": _totals(by_status),
            "per_day": _stats_rows(period, by_day, by_day=True),
            "by_source": _stats_rows(period, by_source, by_day=False),
            "by_status": _stats_rows(period, by_status, by_day=False),
            "by_dimension": [
                {
                    "dimension": group,
                    "rows": [
                        {**row, "label": group.label_of(row["key"])}
                        for row in self.call_stats(
                            client=client, period=period, group_by=group.name
                        )["results"]
                    ],
                }
                for group in STATS_GROUPS
                if group.name not in AGGREGATED_GROUPS
            ],
        }


def aggregate_rows_queryset(*, client: Client, period: Period) -> QuerySet[DailyAggregate]:
    """The raw aggregate rows of a period (the benchmark's floor: reading them and nothing else)."""
    return DailyAggregate.objects.for_client(client).filter(
        day__gte=period.first_day, day__lte=period.last_day
    )


def _number_attribute(numbers: dict[Any, Any], name: str, fact: Fact) -> Any:
    return getattr(numbers[fact[1]], name)
