"""`{% call_list_rows page client back_query %}`: the call list's table rows.

Written in Python rather than in the template, as Django's admin writes its change list rows
(`admin/templatetags/admin_list.py`): fifty rows of eight cells through the template engine were
most of the page's time (bench/bench_call_list.py), each variable looked up and each filter
applied node by node. The cells are the ones the template had, escaped the same way (every value
that is not already safe HTML goes through `html.escape`, as Django's `escape` does). What is the
same on every row is made once per page: the detail link's path around the call's id, the
labels in the active language, the date format; each distinct number is formatted once per page
and each media icon rendered once per language."""

from __future__ import annotations

import datetime as dt
import functools
import html
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dateformat import DateFormat, re_escaped, re_formatchars
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import get_language, gettext

from accounts.phones import phone_displays, region_for
from calls.models import CallStatus, Direction
from calls.templatetags.durations import NO_VALUE, duration_text

register = template.Library()
# Each value's label (lazy: it reads in the active language); a model's get_FOO_display() builds
# its choices into a new dict on every call.
STATUS_LABELS = dict(CallStatus.choices)
DIRECTION_LABELS = dict(Direction.choices)

ROW = (
    '<tr><td class="nowrap"><a href="{}">{}</a></td>'
    '<td class="nowrap">{}</td>'
    '<td class="clip" title="{}">{}</td>'
    '<td class="nowrap">{}</td>'
    "<td>{}</td>"
    '<td><span class="badge {}">{}</span></td>'
    '<td class="num nowrap">{}</td>'
    '<td class="media-icons">{}{}</td></tr>'
)
_ANY_ID = uuid.UUID(int=0)


_icons: dict[str, dict[str, SafeString]] = {}  # language -> icon name -> its SVG


def _media_icons() -> dict[str, SafeString]:
    language = get_language()
    if language not in _icons:
        _icons[language] = {
            "recording": render_to_string(
                "calls/icons/recording.svg", {"label": gettext("Recording")}
            ),
            "voicemail": render_to_string(
                "calls/icons/voicemail.svg", {"label": gettext("Voice message")}
            ),
        }
    return _icons[language]


def _cell(value: object) -> str:
    return value if isinstance(value, SafeData) else html.escape(str(value))  # type: ignore[return-value]


# The codes of Django's date formats that are plain numbers, written here without a DateFormat
# per value (its format string is split again on every call); "P" ("2:30 p.m.", "noon") with
# Django's own words in the active language; any other code (a name, a week) still asks
# DateFormat, so the text is Django's in every language.
_NUMERIC_CODES: dict[str, Callable[[dt.datetime], str]] = {
    "d": lambda value: f"{value.day:02d}",
    "j": lambda value: str(value.day),
    "m": lambda value: f"{value.month:02d}",
    "n": lambda value: str(value.month),
    "Y": lambda value: f"{value.year:04d}",
    "y": lambda value: f"{value.year % 100:02d}",
    "H": lambda value: f"{value.hour:02d}",
    "G": lambda value: str(value.hour),
    "i": lambda value: f"{value.minute:02d}",
    "s": lambda value: f"{value.second:02d}",
}


def _django_code(code: str, value: dt.datetime) -> str:
    return str(getattr(DateFormat(value), code)())


def _time_of_day() -> Callable[[dt.datetime], str]:
    """DateFormat's "P", its words ("midnight", "noon", "a.m.", "p.m.") read from DateFormat
    once, in the active language."""
    day = dt.datetime(2000, 1, 1)
    midnight, noon = DateFormat(day).P(), DateFormat(day.replace(hour=12)).P()
    morning, afternoon = DateFormat(day.replace(hour=1)).a(), DateFormat(day.replace(hour=13)).a()

    def written(value: dt.datetime) -> str:
        if value.minute == 0 and value.hour in (0, 12):
            return midnight if value.hour == 0 else noon
        hour = value.hour % 12 or 12
        clock = f"{hour}:{value.minute:02d}" if value.minute else str(hour)
        return f"{clock} {afternoon if value.hour > 11 else morning}"

    return written


def datetime_formatter(format_string: str) -> Callable[[dt.datetime], str]:
    """`django.utils.dateformat.format(value, format_string)` in the active language, with the
    format read once."""
    return _formatter(format_string, get_language())


@functools.lru_cache(maxsize=32)
def _formatter(format_string: str, language: str | None) -> Callable[[dt.datetime], str]:
    parts: list[str | Callable[[dt.datetime], str]] = []
    for index, piece in enumerate(re_formatchars.split(format_string)):
        if index % 2:
            if piece == "P":
                parts.append(_time_of_day())
            else:
                parts.append(_NUMERIC_CODES.get(piece) or functools.partial(_django_code, piece))
        elif piece:
            parts.append(re_escaped.sub(r"\1", piece))

    def written(value: dt.datetime) -> str:
        return "".join(part if isinstance(part, str) else part(value) for part in parts)

    return written


@register.simple_tag
def call_list_rows(calls: Iterable[Any], client: Any, back_query: str) -> SafeString:
    """One `<tr>` per row of the page (calls.selectors.call_list_page_rows), its numbers shown
    as the Client's people read them."""
    suffix = f"?{back_query}" if back_query else ""
    display, icons = phone_displays(region=region_for(client)), _media_icons()
    before_id, after_id = reverse("call-detail", args=[_ANY_ID]).split(str(_ANY_ID))
    started = datetime_formatter(formats.get_format("SHORT_DATETIME_FORMAT"))
    statuses = {value: html.escape(str(label)) for value, label in STATUS_LABELS.items()}
    directions = {value: html.escape(str(label)) for value, label in DIRECTION_LABELS.items()}
    zone = timezone.get_current_timezone()
    rows = []
    for call in calls:
        source, status = _cell(call.tracking_number__source), _cell(call.status)
        rows.append(
            ROW.format(
                _cell(f"{before_id}{call.id}{after_id}{suffix}"),
                _cell(started(call.started_at.astimezone(zone))),
                _cell(display(call.tracking_number__number)),
                source,
                source,
                _cell(display(call.contact__phone_number) or NO_VALUE),
                directions.get(call.direction) or _cell(call.direction),
                status,
                statuses.get(call.status) or status,
                _cell(duration_text(call.duration_seconds)),
                icons["recording"] if call.has_recording else "",
                icons["voicemail"] if call.has_voicemail else "",
            )
        )
    return mark_safe("\n".join(rows))  # noqa: S308 every cell above is escaped or safe HTML
