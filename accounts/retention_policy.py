"""The retention policy in one place (SPEC §9): platform defaults from the environment, and a
Client's shorter periods. The retention app applies it; the privacy centre shows it."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

if TYPE_CHECKING:
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


def _shorter(override: int | None, default: int) -> int:
    return default if override is None else min(override, default)


def policy_for(client: Client) -> Policy:
    default = platform_policy()
    return Policy(
        call_months=_shorter(client.call_retention_months, default.call_months),
        recording_months=_shorter(client.recording_retention_months, default.recording_months),
        user_days_after_contract=_shorter(
            client.user_retention_days_after_contract, default.user_days_after_contract
        ),
    )


def validate_overrides(client: Client) -> None:
    default = platform_policy()
    limits = {
        "call_retention_months": (default.call_months, 1),
        "recording_retention_months": (default.recording_months, 1),
        "user_retention_days_after_contract": (default.user_days_after_contract, 0),
    }
    errors = {}
    for field, (limit, minimum) in limits.items():
        value = getattr(client, field)
        if value is not None and value > limit:
            errors[field] = gettext(
                "At most %(limit)s: a Client may keep data for less time than the platform, "
                "never more."
            ) % {"limit": limit}
        elif value is not None and value < minimum:
            errors[field] = gettext("At least %(minimum)s.") % {"minimum": minimum}
    if errors:
        raise ValidationError(errors)


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same wall-clock moment `months` calendar months earlier (the day clamped to the month's
    end: 31 March less one month is 28 or 29 February)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)
