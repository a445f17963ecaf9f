"""Reads of the daily aggregates (SPEC §15): the days that are over and folded come from
DailyAggregate, today (and later) and the days still dirty from the calls, grouped the same way,
so every answer is exact and its cost follows the days shown, not the calls made."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import CharField, Count, F, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from accounts.models import Client
from calls.models import Call, CallStatus
from calls.selectors import STATS_GROUPS_BY_NAME, Period, stats_row
from reports.models import DailyAggregate, DirtyDay

ANSWERED = Q(status=CallStatus.ANSWERED)

# The dimensions a fact row can be split by: the aggregate's path, the call's path (None: the
# calls do not carry it yet; `channel` comes with the attribution app).
DIMENSIONS: dict[str, tuple[str, str | None]] = {
    "day": ("day", None),
    "status": ("status", "status"),
    "tracking_number": ("tracking_number__number", "tracking_number__number"),
    "source": ("tracking_number__source", "tracking_number__source"),
    "campaign": ("tracking_number__campaign", "tracking_number__campaign"),
    "channel": ("channel", None),
}
FACTS = ("calls", "answered", "answered_seconds")


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


def fact_rows(*, client: Client, period: Period, by: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The Client's calls in `period` summed by the dimensions `by` (names of DIMENSIONS): one
    dict per group with those names and `calls`, `answered`, `answered_seconds`."""
    folded_days, live = _split_days(client, period)
    live_set = set(live)
    aggregates = DailyAggregate.objects.for_client(client).filter(folded_days)
    sums = {name: Coalesce(Sum(name), Value(0), output_field=IntegerField()) for name in FACTS}
    merged: dict[tuple[Any, ...], dict[str, int]] = {}

    def add(key: tuple[Any, ...], row: dict[str, Any]) -> None:
        into = merged.setdefault(key, dict.fromkeys(FACTS, 0))
        for name in FACTS:
            into[name] += row[name] or 0

    paths = [DIMENSIONS[name][0] for name in by]
    if paths:
        for row in aggregates.values(*paths).annotate(**sums).order_by():
            add(tuple(row[path] for path in paths), row)
    else:
        add((), aggregates.aggregate(**sums))
    if live:
        calls = Call.objects.for_client(client).filter(_day_ranges(client, live))
        annotations: dict[str, Any] = {}
        for name in by:
            path = DIMENSIONS[name][1]
            if name == "day":
                annotations[f"d_{name}"] = TruncDate("started_at", tzinfo=client.tzinfo)
            elif path is None:  # channel: not on the calls yet, so blank like the aggregates
                annotations[f"d_{name}"] = Value("", output_field=CharField())
            else:
                annotations[f"d_{name}"] = F(path)
        live_sums = {
            "calls": Count("id"),
            "answered": Count("id", filter=ANSWERED),
            "answered_seconds": Sum("duration_seconds", filter=ANSWERED),
        }
        if by:
            grouped = calls.annotate(**annotations).values(*annotations).annotate(**live_sums)
            for row in grouped.order_by():
                if "day" in by and row["d_day"] not in live_set:
                    continue
                add(tuple(row[f"d_{name}"] for name in by), row)
        else:
            add((), calls.aggregate(**live_sums))
    return [
        {**dict(zip(by, key, strict=True)), **facts}
        for key, facts in merged.items()
        if facts["calls"] or not by
    ]


def _stats_rows(client: Client, period: Period, group_by: str) -> list[dict[str, Any]]:
    if STATS_GROUPS_BY_NAME[group_by].field is None:
        by_day = {row["day"]: row for row in fact_rows(client=client, period=period, by=("day",))}
        empty = dict.fromkeys(FACTS, 0)
        return [
            stats_row(day.isoformat(), **{k: by_day.get(day, empty)[k] for k in FACTS})
            for day in period.days()
        ]
    rows = [
        stats_row(row[group_by], **{k: row[k] for k in FACTS})
        for row in fact_rows(client=client, period=period, by=(group_by,))
    ]
    return sorted(rows, key=lambda row: (-row["calls"], row["key"]))


def _totals(client: Client, period: Period) -> dict[str, Any]:
    (row,) = fact_rows(client=client, period=period)
    totals = stats_row(None, **row)
    del totals["key"]
    return totals


class AggregateStatsReader:
    """The dashboard's and the stats API's answers from the aggregates (registered with calls)."""

    def call_stats(self, *, client: Client, period: Period, group_by: str) -> dict[str, Any]:
        return {
            "results": _stats_rows(client, period, group_by),
            "totals": _totals(client, period),
        }

    def dashboard_summary(self, *, client: Client, period: Period) -> dict[str, Any]:
        return {
            "totals": _totals(client, period),
            "per_day": _stats_rows(client, period, "day"),
            "by_source": _stats_rows(client, period, "source"),
            "by_status": _stats_rows(client, period, "status"),
        }


def aggregate_rows_queryset(*, client: Client, period: Period) -> QuerySet[DailyAggregate]:
    """The raw aggregate rows of a period (the benchmark's floor: reading them and nothing else)."""
    return DailyAggregate.objects.for_client(client).filter(
        day__gte=period.first_day, day__lte=period.last_day
    )
