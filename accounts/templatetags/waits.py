"""How long to wait, in words of the reader's language: "15 minutes", "1 heure 30 minutes"."""

from __future__ import annotations

import math
from datetime import timedelta

from django import template
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def wait_in_words(value: timedelta | None) -> str:
    """A wait rounded up to the minute: hours and minutes, each pluralised ("1 hour 30 minutes")."""
    if not isinstance(value, timedelta):
        return ""
    minutes = max(1, math.ceil(value.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours})
    if minutes:
        parts.append(
            ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
        )
    return " ".join(parts)
