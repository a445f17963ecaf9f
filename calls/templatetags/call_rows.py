"""`{% call_list_rows rows back_query icons %}`: the call list's table rows.

Written with `format_html` rather than in the template, as Django's admin writes its change list
rows (`admin/templatetags/admin_list.py`): fifty rows of eight cells through the template engine
were most of the page's time (bench/bench_call_list.py), each variable looked up and each
filter applied node by node. The cells are the ones the template had, escaped the same way."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

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


@register.simple_tag
def call_list_rows(
    rows: Iterable[tuple[Call, str, str]], back_query: str, icons: dict[str, SafeString]
) -> SafeString:
    """One `<tr>` per (call, its tracking number as shown, its caller as shown)."""
    suffix = f"?{back_query}" if back_query else ""
    return format_html_join(
        "\n",
        ROW,
        (
            (
                reverse("call-detail", args=[call.pk]) + suffix,
                formats.date_format(timezone.localtime(call.started_at), "SHORT_DATETIME_FORMAT"),
                number,
                call.tracking_number.source,
                call.tracking_number.source,
                caller or NO_VALUE,
                DIRECTION_LABELS.get(call.direction, call.direction),
                call.status,
                STATUS_LABELS.get(call.status, call.status),
                duration_text(call.duration_seconds),
                icons["recording"] if call.has_recording else "",
                icons["voicemail"] if call.has_voicemail else "",
            )
            for call, number, caller in rows
        ),
    )
