"""Tracking numbers: creating them, changing how their calls are put through, audited."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from accounts.languages import language_for_client
from accounts.models import Client
from accounts.phones import normalize_e164
from calls.models import (
    TrackingNumber,
)
from privacy.audit import AuditAction, audit_record, identifier_hash

logger = logging.getLogger(__name__)


# The default announcement per language (SPEC §12): the Client's language (its country's,
# accounts.languages), and a few more for the announcement alone, by country.
ANNOUNCEMENTS = {
    "fr": "Cet appel est susceptible d'être enregistré.",
    "de": "Dieser Anruf kann aufgezeichnet werden.",
    "es": "Esta llamada puede ser grabada.",
    "it": "Questa chiamata potrebbe essere registrata.",
    "nl": "Dit gesprek kan worden opgenomen.",
    "en": "This call may be recorded.",
}
_ANNOUNCEMENT_COUNTRIES = {"DE": "de", "AT": "de", "ES": "es", "IT": "it", "NL": "nl"}


def client_language(client: Client) -> str:
    """The language the Client's callers hear: its country's (French for FR, BE, CH…)."""
    country = (client.country or "").upper()
    language = _ANNOUNCEMENT_COUNTRIES.get(country) or language_for_client(client)
    return language if language in ANNOUNCEMENTS else "en"


def announcement_default(*, client: Client) -> str:
    return ANNOUNCEMENTS[client_language(client)]


# The fields of a tracking number a Client may change after creating it (SPEC §5, §12).
TRACKING_NUMBER_EDITABLE = (
    "source",
    "campaign",
    "active",
    "forward_to",
    "record_calls",
    "announcement",
    "voicemail",
    "ring_seconds",
)


def _forward_to_clean(value: str | None, *, client: Client, number: str) -> str:
    """The number calls to `number` are put through to, in E.164; never a tracking number of
    the Client (`number` included): the call would ring back here, round and round."""
    if not value:
        return ""
    try:
        forward_to = normalize_e164(value)
    except ValidationError as error:
        raise ValidationError({"forward_to": error.messages}) from None
    if (
        forward_to == number
        or TrackingNumber.objects.for_client(client).filter(number=forward_to).exists()
    ):
        raise ValidationError(
            {
                "forward_to": [
                    gettext(
                        "This is one of your tracking numbers: calls put through to it would "
                        "ring back here. Enter the number that should answer."
                    )
                ]
            }
        )
    return forward_to


def tracking_number_create(
    *,
    client: Client,
    number: str,
    source: str,
    campaign: str = "",
    forward_to: str | None = "",
    record_calls: bool = False,
    announcement: str = "",
    voicemail: bool = True,
    ring_seconds: int = 20,
    pool: bool = False,
    actor: Any = None,
) -> TrackingNumber:
    try:
        number = normalize_e164(number)
    except ValidationError as error:
        raise ValidationError({"number": error.messages}) from None
    numbers = TrackingNumber.objects.for_client(client)
    if numbers.filter(number=number).exists():
        raise ValidationError(
            {"number": [gettext("Your account already has this tracking number.")]}
        )
    if numbers.filter(forward_to=number).exists():
        raise ValidationError(
            {
                "number": [
                    gettext(
                        "Calls to one of your tracking numbers are put through to this number: "
                        "as a tracking number it would ring back there. Change that forwarding "
                        "first."
                    )
                ]
            }
        )
    tracking_number = TrackingNumber(
        client=client,
        number=number,
        source=source.strip(),
        campaign=campaign.strip(),
        pool=pool,
        forward_to=_forward_to_clean(forward_to, client=client, number=number),
        record_calls=record_calls,
        announcement=announcement.strip() or announcement_default(client=client),
        voicemail=voicemail,
        ring_seconds=ring_seconds,
    )
    tracking_number.full_clean(validate_unique=False)
    try:
        tracking_number.save()
    except IntegrityError:
        raise ValidationError(
            {"number": [gettext("Your account already has this tracking number.")]}
        ) from None
    logger.info("tracking number created", extra={"client_id": str(client.pk)})
    _tracking_number_record(AuditAction.TRACKING_NUMBER_ADDED, tracking_number, actor)
    return tracking_number


def tracking_number_update(
    *, tracking_number: TrackingNumber, actor: Any = None, **changes: Any
) -> TrackingNumber:
    """Change the editable fields given (others stay); audited with the field names only."""
    unknown = sorted(set(changes) - set(TRACKING_NUMBER_EDITABLE))
    if unknown:
        raise ValidationError(
            {name: [gettext("This field cannot be changed.")] for name in unknown}
        )
    if "forward_to" in changes:
        changes["forward_to"] = _forward_to_clean(
            changes["forward_to"], client=tracking_number.client, number=tracking_number.number
        )
    for name in ("source", "campaign", "announcement"):
        if name in changes:
            changes[name] = (changes[name] or "").strip()
    if "announcement" in changes and not changes["announcement"]:
        changes["announcement"] = announcement_default(client=tracking_number.client)
    changed = [name for name, value in changes.items() if getattr(tracking_number, name) != value]
    if not changed:
        return tracking_number
    for name in changed:
        setattr(tracking_number, name, changes[name])
    tracking_number.full_clean(validate_unique=False)
    with transaction.atomic():
        tracking_number.save(update_fields=changed)
        _tracking_number_record(
            AuditAction.TRACKING_NUMBER_CHANGED, tracking_number, actor, fields=sorted(changed)
        )
    return tracking_number


def tracking_number_set_active(
    *, tracking_number: TrackingNumber, active: bool, actor: Any = None
) -> TrackingNumber:
    if tracking_number.active != active:
        tracking_number.active = active
        tracking_number.save(update_fields=["active"])
        _tracking_number_record(
            AuditAction.TRACKING_NUMBER_CHANGED
            if active
            else AuditAction.TRACKING_NUMBER_DEACTIVATED,
            tracking_number,
            actor,
            fields=["active"],
        )
    return tracking_number


def _tracking_number_record(
    action: AuditAction,
    tracking_number: TrackingNumber,
    actor: Any,
    fields: list[str] | None = None,
) -> None:
    metadata: dict[str, Any] = {"number": identifier_hash(tracking_number.number)}
    if fields:
        metadata["fields"] = fields
    audit_record(
        action=action,
        actor=actor,
        client_id=tracking_number.client_id,
        object_type="tracking_number",
        object_id=tracking_number.pk,
        metadata=metadata,
    )
