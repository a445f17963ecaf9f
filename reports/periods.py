"""The reports' periods as a reader reads them: pure functions on the pivots' labels (a week's
Monday "2026-11-30", a month "2026-11"), in the active language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from calls.dashboard import nice_ticks


def period_start(label: str, per: str) -> dt.date:
    if per == "week":
        return dt.date.fromisoformat(label)
    year, month = label.split("-")
    return dt.date(int(year), int(month), 1)


def period_end(label: str, per: str) -> dt.date:
    """The period's last day."""
    start = period_start(label, per)
    if per == "week":
        return start + dt.timedelta(days=6)
    following = start.replace(day=28) + dt.timedelta(days=4)
    return following - dt.timedelta(days=following.day)


def period_label(label: str, per: str, *, today: dt.date | None = None) -> str:
    """The table's name of a period: "Week of 30 Nov. 2026", "November 2026"; the period still
    running on `today` says so ("December 2026, to 3 Dec."): it is compared with as many days
    of the previous one."""
    start = period_start(label, per)
    if per == "week":
        name = _("Week of %(day)s") % {"day": formats.date_format(start, "j N Y")}
    else:
        name = formats.date_format(start, "F Y")
    if today is not None and start <= today <= period_end(label, per):
        return _("%(period)s, to %(day)s") % {
            "period": name,
            "day": formats.date_format(today, "j N"),
        }
    return name


def axis_labels(labels: Sequence[str], per: str) -> list[str]:
    """Short labels for the chart's axis, with the year on the first bar and where it changes."""
    shown, year = [], None
    for label in labels:
        start = period_start(label, per)
        if per == "month":
            shown.append(formats.date_format(start, "N Y"))
        else:
            shown.append(formats.date_format(start, "j N Y" if start.year != year else "j N"))
        year = start.year
    return shown


def report_chart(
    chart: dict[str, list[Any]], *, per: str, language: str, today: dt.date | None = None
) -> dict[str, Any]:
    """The pivots' chart (`labels`, `answered`, `missed`) with every text the script shows."""
    totals = [a + m for a, m in zip(chart["answered"], chart["missed"], strict=True)]
    ticks = nice_ticks(max(totals, default=0))
    return {
        **chart,
        "locale": language,
        "labels": axis_labels(chart["labels"], per),
        "titles": [period_label(label, per, today=today) for label in chart["labels"]],
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
