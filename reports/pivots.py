"""The reports' pivots (SPEC §15): pandas on the aggregate rows, never on the calls.

`reports.selectors.fact_rows` gives one row per day and value of the dimension (the days that are
over from DailyAggregate; today, and a day not yet folded, summed from the calls into the same
shape); pandas groups them by week or month and puts each figure beside the previous period's."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

import pandas as pd
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Client
from accounts.phones import phone_display
from calls.selectors import STATS_GROUPS_BY_NAME, Period
from reports.periods import period_label
from reports.selectors import FACTS, fact_rows

FREQUENCY = {"week": "W-SUN", "month": "M"}
METRICS = ("calls", "answered", "answer_rate", "avg_duration_seconds")


@dataclass(frozen=True)
class Report:
    by: str
    per: str
    periods: list[str]  # labels, oldest first
    rows: list[dict[str, Any]]  # newest period first, then most calls first
    chart: dict[str, list[Any]]
    first_day: dt.date
    last_day: dt.date


def _first_day(per: str, today: dt.date, periods: int) -> dt.date:
    """The first day of the period `periods` before the current one (the previous of the oldest
    period shown)."""
    if per == "week":
        return today - dt.timedelta(days=today.weekday() + 7 * periods)
    month = today.year * 12 + today.month - 1 - periods
    return dt.date(month // 12, month % 12 + 1, 1)


def _label(period: pd.Period, per: str) -> str:
    return period.start_time.date().isoformat() if per == "week" else period.strftime("%Y-%m")


def _change(current: float | None, previous: float | None) -> float | None:
    if current is None or previous is None or previous == 0:
        return None
    return round(100 * (current - previous) / previous, 1)


def _rates_added(sums: pd.DataFrame) -> pd.DataFrame:
    sums["answer_rate"] = (100 * sums["answered"] / sums["calls"].where(sums["calls"] > 0)).round(1)
    sums["avg_duration_seconds"] = (
        sums["answered_seconds"] / sums["answered"].where(sums["answered"] > 0)
    ).round(1)
    return sums


def report_build(*, client: Client, by: str, per: str, periods: int) -> Report:
    today = timezone.localdate(timezone=client.tzinfo)
    first_day = _first_day(per, today, periods)
    rows = fact_rows(client=client, period=Period(first_day, today), by=("day", by))
    frequency = FREQUENCY[per]
    every_period = pd.period_range(first_day, today, freq=frequency)
    # Typed even when empty (no call in these periods): pandas makes an empty column text.
    frame = pd.DataFrame(rows, columns=["day", by, *FACTS]).astype(dict.fromkeys(FACTS, "int64"))
    frame["period"] = pd.PeriodIndex(pd.to_datetime(frame["day"]), freq=frequency)
    sums = frame.groupby(["period", by])[list(FACTS)].sum()
    # Every value in every period (0 where it had no call), so that each has a previous figure.
    keys = sorted(frame[by].unique(), key=str)
    full = pd.MultiIndex.from_product([every_period, keys], names=["period", by])
    sums = _rates_added(sums.reindex(full, fill_value=0))
    previous = sums.groupby(level=by)[list(METRICS)].shift(1)
    # The current period is not over: it is compared with as many days of the previous one
    # (1-3 December with 1-3 November), not with the whole of it.
    running, last = every_period[-1], every_period[-2]
    elapsed = today - running.start_time.date()
    same_days = frame[
        (frame["period"] == last) & (frame["day"] <= last.start_time.date() + elapsed)
    ]
    partial = _rates_added(same_days.groupby(by)[list(FACTS)].sum().reindex(keys, fill_value=0))
    if keys:
        in_running = pd.MultiIndex.from_product([[running], keys], names=["period", by])
        previous.loc[in_running, list(METRICS)] = partial[list(METRICS)].to_numpy(dtype=float)
    shown = every_period[1:]
    table = []
    in_shown = sums.index.get_level_values("period").isin(shown)
    for (period, key), current in sums[in_shown].iterrows():
        before = previous.loc[(period, key)]
        if current["calls"] == 0 and before["calls"] == 0:
            continue
        row: dict[str, Any] = {"period": _label(period, per), "key": key}
        for metric in METRICS:
            now_value = None if pd.isna(current[metric]) else float(current[metric])
            then_value = None if pd.isna(before[metric]) else float(before[metric])
            if metric in ("calls", "answered"):
                now_value, then_value = int(now_value or 0), int(then_value or 0)
            row[metric] = now_value
            row[f"{metric}_previous"] = then_value
            if metric == "answer_rate":  # a rate changes by points, not by a percentage
                row["answer_rate_change"] = (
                    round(now_value - then_value, 1)
                    if now_value is not None and then_value is not None
                    else None
                )
            else:
                row[f"{metric}_change"] = _change(now_value, then_value)
        table.append(row)
    table.sort(key=lambda row: (row["period"], -row["calls"], str(row["key"])))
    table.sort(key=lambda row: row["period"], reverse=True)
    per_period = (
        sums.groupby(level="period")[["calls", "answered"]].sum().reindex(shown, fill_value=0)
    )
    labels = [_label(period, per) for period in shown]
    return Report(
        by=by,
        per=per,
        periods=labels,
        rows=table,
        chart={
            "labels": labels,
            "answered": [int(value) for value in per_period["answered"]],
            "missed": [
                int(calls - answered)
                for calls, answered in zip(per_period["calls"], per_period["answered"], strict=True)
            ],
        },
        first_day=shown[0].start_time.date(),
        last_day=today,
    )


def key_label(by: str, key: Any, *, region: str | None = None) -> str:
    """A value of the dimension `by` as people read it; a tracking number as the Client's people
    write it (`region`: the Client's country)."""
    if key in (None, ""):
        return {"channel": _("Not attributed"), "campaign": _("No campaign")}.get(by, _("None"))
    if by == "tracking_number":
        return phone_display(str(key), region=region)
    # A value with a name of its own (a channel: "paid_search" reads "Paid search") gets it.
    group = STATS_GROUPS_BY_NAME.get(by)
    return str(group.label_of(key)) if group is not None else str(key)


def report_xlsx(report: Report, *, dimension_label: str, region: str | None) -> bytes:
    """The report as an Excel workbook: one line per period and value, each figure beside the
    previous period's and its change."""
    columns = {
        "period": _("Period"),
        "key": dimension_label,
        "calls": _("Calls"),
        "calls_previous": _("Calls, previous period"),
        "calls_change": _("Calls, change %"),
        "answered": _("Answered"),
        "answered_previous": _("Answered, previous period"),
        "answered_change": _("Answered, change %"),
        "answer_rate": _("Answer rate %"),
        "answer_rate_previous": _("Answer rate %, previous period"),
        "answer_rate_change": _("Answer rate, change in points"),
        "avg_duration_seconds": _("Average answered duration (s)"),
        "avg_duration_seconds_previous": _("Average answered duration (s), previous period"),
        "avg_duration_seconds_change": _("Average answered duration, change %"),
    }
    frame = pd.DataFrame(
        [
            {
                **row,
                "period": period_label(row["period"], report.per, today=report.last_day),
                "key": key_label(report.by, row["key"], region=region),
            }
            for row in report.rows
        ],
        columns=list(columns),
    ).rename(columns=columns)
    buffer = io.BytesIO()
    # A source named "=HYPERLINK(…)" stays text: no string becomes a formula.
    options = {"options": {"strings_to_formulas": False, "strings_to_urls": False}}
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs=options) as writer:
        frame.to_excel(writer, sheet_name=_("Report")[:31], index=False)
    return buffer.getvalue()
