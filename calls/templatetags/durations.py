"""`{{ seconds|duration }}`: a call's length as people read it, "3 min 05 s" (SPEC §14)."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext

register = template.Library()
NO_VALUE = "\u2013"  # an en dash


def duration_text(seconds: int | float | None) -> str:
    """ "45 s", "3 min 05 s", "1 h 02 min" (hours drop the seconds); a dash for no value."""
    if seconds is None or seconds == "":
        return NO_VALUE
    try:
        total = max(0, round(float(seconds)))
    except (TypeError, ValueError):
        return NO_VALUE
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return gettext("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    if minutes:
        return gettext("%(minutes)d min %(seconds)02d s") % {"minutes": minutes, "seconds": secs}
    return gettext("%(seconds)d s") % {"seconds": secs}


@register.filter(name="duration")
def duration(seconds: int | float | None) -> str:
    return duration_text(seconds)
