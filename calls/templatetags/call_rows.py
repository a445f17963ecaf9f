"""`{% call_list_rows page client back_query %}`: the call list's table rows.

Written with `format_html` rather than in the template, as Django's admin writes its change list
rows (`admin/templatetags/admin_list.py`): fifty rows of eight cells through the template engine
were most of the page's time (bench/bench_call_list.py), each variable looked up and each
filter applied node by node. The cells are the ones the template had, escaped the same way;
each distinct number is formatted once per page and each media icon rendered once per language."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext

from accounts.phones import phone_displays, region_for
from calls.models import Call, CallStatus, Direction
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


@register.simple_tag
def call_list_rows(calls: Iterable[Call], client: Any, back_query: str) -> SafeString:
    """One `<tr>` per call of the page, its numbers shown as the Client's people read them."""
    suffix = f"?{back_query}" if back_query else ""
    display, icons = phone_displays(region=region_for(client)), _media_icons()
    return format_html_join(
        "\n",
        ROW,
        (
            (
                reverse("call-detail", args=[call.pk]) + suffix,
                formats.date_format(timezone.localtime(call.started_at), "SHORT_DATETIME_FORMAT"),
                display(call.tracking_number.number),
                call.tracking_number.source,
                call.tracking_number.source,
                display(call.caller_number) or NO_VALUE,
                DIRECTION_LABELS.get(call.direction, call.direction),
                call.status,
                STATUS_LABELS.get(call.status, call.status),
                duration_text(call.duration_seconds),
                icons["recording"] if call.has_recording else "",
                icons["voicemail"] if call.has_voicemail else "",
            )
            for call in calls
        ),
    )
