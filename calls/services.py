"""Every write of the calls app (STYLE.md §2)."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Client
from accounts.phones import normalize_e164
from calls.models import Call, CallStatus, Direction, TrackingNumber
from calls.upserts import call_upsert, ingest_lookup

logger = logging.getLogger(__name__)

UNKNOWN_TRACKING_NUMBER = "No active tracking number of your account has this number."


def tracking_number_create(
    *, client: Client, number: str, source: str, campaign: str = ""
) -> TrackingNumber:
    try:
        number = normalize_e164(number)
    except ValidationError as error:
        raise ValidationError({"number": error.messages}) from None
    if TrackingNumber.objects.for_client(client).filter(number=number).exists():
        raise ValidationError({"number": ["Your account already has this tracking number."]})
    tracking_number = TrackingNumber(
        client=client, number=number, source=source.strip(), campaign=campaign.strip()
    )
    tracking_number.full_clean(validate_unique=False)
    try:
        tracking_number.save()
    except IntegrityError:
        raise ValidationError(
            {"number": ["Your account already has this tracking number."]}
        ) from None
    logger.info("tracking number created", extra={"client_id": str(client.pk)})
    return tracking_number


def tracking_number_set_active(*, tracking_number: TrackingNumber, active: bool) -> TrackingNumber:
    if tracking_number.active != active:
        tracking_number.active = active
        tracking_number.save(update_fields=["active"])
    return tracking_number


@transaction.atomic
def call_ingest(
    *,
    client: Client,
    external_id: str,
    tracking_number: str,
    caller_number: str | None,
    status: str,
    started_at: dt.datetime,
    duration_seconds: int = 0,
    direction: str = Direction.INBOUND,
) -> tuple[Call, bool]:
    """Create the call, or update the one with this `external_id` (idempotent, race-safe).

    Numbers arrive normalised (E.164). Returns the call and whether it was created.
    """
    if status not in CallStatus.values:
        raise ValidationError({"status": [f"Unknown status {status!r}."]})
    if direction not in Direction.values:
        raise ValidationError({"direction": [f"Unknown direction {direction!r}."]})
    number, contact = ingest_lookup(
        client=client, number=tracking_number, caller_number=caller_number
    )
    if number is None:
        raise ValidationError({"tracking_number": [UNKNOWN_TRACKING_NUMBER]})
    now = timezone.now()
    return call_upsert(
        Call(
            client=client,
            external_id=external_id,
            tracking_number=number,
            contact=contact,
            status=status,
            direction=direction,
            started_at=started_at,
            duration_seconds=duration_seconds,
            created_at=now,
            updated_at=now,
        )
    )
