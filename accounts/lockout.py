"""django-axes hooks: the lockout key, the growing lock (tiers) and its stored end (SPEC §4).

A lock's end is stored when the lock begins (axes' AccessAttemptExpiration) and only that stored
time ends it. axes' own default instead recomputes the cool-off per request and deletes every
attempt older than *that request's* value, so one failure under any other username (a 15-minute
cool-off) ended a 30-minute lock; `LockoutHandler` reads and cleans by the stored expiry alone.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog
from django.db.models import Max, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User, normalize_email

FIRST_LOCKOUT = timedelta(minutes=15)
LONGEST_LOCKOUT = timedelta(hours=24)
# Lockouts of the same username+address within this window make the next one longer (doubling).
TIER_WINDOW = timedelta(hours=24)


def username_from_request(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """The login normalised exactly as login does (NFKC, then the stored email's form), so a
    fullwidth or uppercase variant of an address shares its counter and its lock."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = request.POST.get("username")
    return normalize_email(User.normalize_username(username or ""))


def lockout_duration(*, lockouts: int) -> timedelta:
    """15 minutes for the first lockout within TIER_WINDOW, doubling for each further one."""
    doublings = min(max(0, lockouts - 1), 7)  # 15 minutes * 2**7 is past the day already
    return min(FIRST_LOCKOUT * 2**doublings, LONGEST_LOCKOUT)


def _lockouts_in_window(*, username: str, ip_address: str) -> int:
    return AccessFailureLog.objects.filter(
        username=username,
        ip_address=ip_address,
        locked_out=True,
        attempt_time__gte=timezone.now() - TIER_WINDOW,
    ).count()


def _lock_end(request: HttpRequest) -> Any:
    return AccessAttempt.objects.filter(
        username=username_from_request(request, getattr(request, "axes_credentials", None)),
        ip_address=getattr(request, "axes_ip_address", None),
        expiration__expires_at__gt=timezone.now(),
    ).aggregate(end=Max("expiration__expires_at"))["end"]


def cooloff_for(request: HttpRequest | None) -> timedelta:
    """What axes asks of AXES_COOLOFF_TIME. Before a lock: how long a failure counts towards one
    (15 minutes). For a locked-out request: the time left on its stored lock, rounded up to the
    minute, for the 429 page. It never decides when a lock ends (see LockoutHandler)."""
    if request is not None and getattr(request, "axes_locked_out", False):
        end = _lock_end(request)
        if end is not None:
            return timedelta(minutes=math.ceil((end - timezone.now()) / timedelta(minutes=1)))
    return FIRST_LOCKOUT


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler, with attempts that count until their stored expiry and no longer.

    Needs AXES_USE_ATTEMPT_EXPIRATION (so that axes cleans by the stored expiry, not by the current
    request's cool-off)."""

    def get_user_attempts(
        self, request: HttpRequest, credentials: dict[str, Any] | None = None
    ) -> list[QuerySet[AccessAttempt]]:
        now = timezone.now()
        # Attempts recorded before expiries were stored count for the first lockout's length.
        current = Q(expiration__expires_at__gt=now) | Q(
            expiration__isnull=True, attempt_time__gt=now - FIRST_LOCKOUT
        )
        return [
            attempts.filter(current) for attempts in self.filter_user_attempts(request, credentials)
        ]

    def user_login_failed(
        self,
        sender: object,
        credentials: dict[str, Any],
        request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> None:
        already_locked = bool(getattr(request, "axes_locked_out", False))
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None or already_locked or not getattr(request, "axes_locked_out", False):
            return
        # This failure began a lock: its end is fixed now, from the tier, and stored.
        username = get_client_username(request, credentials)
        ip_address = request.axes_ip_address
        lockouts = _lockouts_in_window(username=username, ip_address=ip_address)
        duration = lockout_duration(lockouts=lockouts)
        AccessAttemptExpiration.objects.filter(
            access_attempt__username=username, access_attempt__ip_address=ip_address
        ).update(expires_at=request.axes_attempt_time + duration)
