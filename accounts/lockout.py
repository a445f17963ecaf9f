"""django-axes hooks: the lockout key and the growing cool-off (SPEC §4)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

FIRST_LOCKOUT = timedelta(minutes=15)
LONGEST_LOCKOUT = timedelta(hours=24)
# Failures counted for the tiers: each full series of AXES_FAILURE_LIMIT within it doubles the wait.
TIER_WINDOW = timedelta(hours=24)


def username_from_request(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """The login as typed, normalised like the stored email so case tricks share one counter."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = request.POST.get("username")
    return (username or "").strip().lower()


def cooloff_for(request: HttpRequest | None) -> timedelta:
    """15 minutes for a first lockout, doubling for each earlier lockout within 24 hours."""
    if request is None:
        return FIRST_LOCKOUT
    from axes.models import AccessFailureLog

    ip_address = getattr(request, "axes_ip_address", None)
    username = username_from_request(request, None)
    if not ip_address or not username:
        return FIRST_LOCKOUT
    failures = AccessFailureLog.objects.filter(
        username=username,
        ip_address=ip_address,
        attempt_time__gte=timezone.now() - TIER_WINDOW,
    ).count()
    earlier_lockouts = max(0, failures // settings.AXES_FAILURE_LIMIT - 1)
    return min(FIRST_LOCKOUT * 2**earlier_lockouts, LONGEST_LOCKOUT)
