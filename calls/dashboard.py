"""What the dashboard shows, from the selectors' figures: pure functions, no query.

- "Unanswered" is every call but an answered one (the selectors' `missed`, SPEC §5); "Missed" is the
  status missed alone. The chart, the by-source table and the totals say "Unanswered"; the status
  table lists the statuses, "Missed" among them.
- The chart's bars are days, weeks or months by the length of the period, so that 12 months draw
  53 bars at most, each labelled in the reader's language with the year where it is not obvious.
- Each total sits beside the previous period of the same length and the change."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from calls.models import CallStatus
from calls.selectors import Period

# Bars per period length: days up to two months, weeks up to six, months beyond.
WEEKLY_AFTER_DAYS = 62
MONTHLY_AFTER_DAYS = 180

# The status table's names ("Missed" is the status; every unanswered call is "Unanswered").
STATUS_LABELS = {status.value: status.label for status in CallStatus}


def granularity_for(period: Period) -> str:
    """The bars a period of this length draws: "day", "week" or "month"."""
    days = (period.last_day - period.first_day).days + 1
    if days > MONTHLY_AFTER_DAYS:
        return "month"
    if days > WEEKLY_AFTER_DAYS:
        return "week"
    return "day"


def previous_period(period: Period) -> Period:
    """The period of the same number of days that ends the day before `period` starts."""
    length = period.last_day - period.first_day
    last = period.first_day - dt.timedelta(days=1)
    return Period(first_day=last - length, last_day=last)


def nice_ticks(maximum: float, *, count: int = 4) -> list[int]:
    """Axis ticks for counts: whole numbers from 0, evenly spaced, the last one ≥ `maximum`.

    At most `count` steps; a step of 1, 2 or 5 times a power of ten (so never 2.5)."""
    top = max(math.ceil(maximum), 1)
    raw = top / count
    magnitude = 10 ** max(0, math.floor(math.log10(raw))) if raw >= 1 else 1
    step = next(s * magnitude for s in (1, 2, 5, 10) if s * magnitude >= raw)
    steps = math.ceil(top / step)
    return [step * index for index in range(steps + 1)]


@dataclass(frozen=True)
class Bucket:
    first_day: dt.date
    last_day: dt.date
    answered: int
    unanswered: int


def _bucket_start(day: dt.date, granularity: str) -> dt.date:
    if granularity == "week":
        return day - dt.timedelta(days=day.weekday())  # weeks start on Monday (ISO)
    if granularity == "month":
        return day.replace(day=1)
    return day


def buckets(per_day: Sequence[dict[str, Any]], *, granularity: str) -> list[Bucket]:
    """The selectors' rows per day (`key` an ISO date, `answered`, `missed`) summed into days,
    weeks or months; the first and last buckets are cut to the days given."""
    grouped: dict[dt.date, list[Any]] = {}
    for row in per_day:
        day = dt.date.fromisoformat(str(row["key"]))
        start = _bucket_start(day, granularity)
        entry = grouped.setdefault(start, [day, day, 0, 0])
        entry[0], entry[1] = min(entry[0], day), max(entry[1], day)
        entry[2] += int(row["answered"])
        entry[3] += int(row["missed"])
    return [
        Bucket(first_day=first, last_day=last, answered=answered, unanswered=unanswered)
        for first, last, answered, unanswered in (grouped[key] for key in sorted(grouped))
    ]


def _date(day: dt.date, fmt: str) -> str:
    return formats.date_format(day, fmt)


def bucket_labels(items: Sequence[Bucket], *, granularity: str) -> list[dict[str, str]]:
    """Each bar's axis label and its tooltip, in the active language.

    The axis label carries the year on the first bar and wherever the year changes; months always
    carry it (a year of months crosses New Year)."""
    labels = []
    previous_year = None
    for item in items:
        new_year = item.first_day.year != previous_year
        previous_year = item.first_day.year
        if granularity == "month":
            axis = _date(item.first_day, "N Y")
            title = _date(item.first_day, "F Y")
        elif granularity == "week":
            axis = _date(item.first_day, "j N Y" if new_year else "j N")
            title = _("Week of %(day)s") % {"day": _date(item.first_day, "j F Y")}
        else:
            axis = _date(item.first_day, "j N Y" if new_year else "j N")
            title = _date(item.first_day, "l j F Y")
        labels.append({"axis": axis, "title": title})
    return labels


@dataclass(frozen=True)
class Change:
    """A figure beside the previous period's: `direction` is "up", "down", "same", "new" (nothing
    before, something now) or "none" (nothing either time); `percent` only for up, down and same."""

    current: float | None
    previous: float | None
    direction: str
    percent: float | None

    @property
    def arrow(self) -> str:
        return {"up": "▲", "down": "▼"}.get(self.direction, "")


def change(current: float | None, previous: float | None) -> Change:
    now, then = current or 0, previous or 0
    if then == 0:
        return Change(current, previous, "new" if now else "none", None)
    percent = round(100 * (now - then) / then, 1)
    direction = "up" if percent > 0 else "down" if percent < 0 else "same"
    return Change(current, previous, direction, abs(percent))


def total_changes(totals: dict[str, Any], previous: dict[str, Any]) -> dict[str, Change]:
    """Each of the dashboard's totals (the selectors' `totals`) beside the previous period's."""
    changes = {
        name: change(totals[name], previous[name]) for name in ("calls", "answered", "missed")
    }
    # The average in whole seconds, as the total beside it shows.
    averages = [
        round(figures["avg_duration_seconds"])
        if figures["avg_duration_seconds"] is not None
        else None
        for figures in (totals, previous)
    ]
    changes["avg_duration_seconds"] = change(*averages)
    return changes


def chart_data(
    per_day: Sequence[dict[str, Any]], *, period: Period, language: str
) -> dict[str, Any]:
    """The chart's JSON: bars, their labels and the axis, every text already in the reader's
    language (the script writes no word of its own)."""
    granularity = granularity_for(period)
    items = buckets(per_day, granularity=granularity)
    totals = [item.answered + item.unanswered for item in items]
    ticks = nice_ticks(max(totals, default=0))
    labels = bucket_labels(items, granularity=granularity)
    return {
        "granularity": granularity,
        "locale": language,
        "labels": [label["axis"] for label in labels],
        "titles": [label["title"] for label in labels],
        "answered": [item.answered for item in items],
        "missed": [item.unanswered for item in items],
        "ticks": ticks,
        "tick_labels": [formats.number_format(tick, force_grouping=True) for tick in ticks],
        "series": [
            {"key": "answered", "name": _("Answered"), "className": "answered"},
            {
                "key": "missed",
                "name": _("Unanswered"),
                "description": _("Missed, busy, failed or voicemail: every call not answered"),
                "className": "missed",
            },
        ],
    }
