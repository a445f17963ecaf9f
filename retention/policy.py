"""The retention policy in one place: platform defaults (environment), shorter per-Client overrides."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from accounts.models import Client


@dataclass(frozen=True)
class Policy:
    call_months: int
    recording_months: int
    user_days_after_contract: int


def platform_policy() -> Policy:
    return Policy(
        call_months=settings.CALL_RETENTION_MONTHS,
        recording_months=settings.RECORDING_RETENTION_MONTHS,
        user_days_after_contract=settings.USER_RETENTION_DAYS_AFTER_CONTRACT,
    )


def policy_for(client: Client) -> Policy:
    default = platform_policy()
    override = getattr(client, "retention", None) if _has_override(client) else None
    if override is None:
        return default
    return Policy(
        call_months=min(override.call_months or default.call_months, default.call_months),
        recording_months=min(
            override.recording_months or default.recording_months, default.recording_months
        ),
        user_days_after_contract=min(
            default.user_days_after_contract
            if override.user_days_after_contract is None
            else override.user_days_after_contract,
            default.user_days_after_contract,
        ),
    )


def _has_override(client: Client) -> bool:
    from retention.models import ClientRetention

    try:
        client.retention  # noqa: B018
    except ClientRetention.DoesNotExist:
        return False
    return True


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same wall-clock moment `months` calendar months earlier (the day clamped to the month's
    end: 31 March less one month is 28 or 29 February)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)
