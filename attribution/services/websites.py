"""A Client's website settings: its origins and what the snippet may do there."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Client
from attribution.models import AllowedOrigin, Website
from calls.models import TrackingNumber
from privacy.audit import AuditAction, audit_record

MAX_ORIGINS = 20


def website_for(*, client: Client) -> Website:
    website, _created = Website.objects.for_client(client).get_or_create(client=client)
    return website


def origin_normalise(raw: str) -> str:
    """`https://www.example.fr` from what an admin types; a ValidationError otherwise."""
    value = raw.strip().rstrip("/")
    parts = urlsplit(value)
    if (
        parts.scheme not in {"http", "https"}
        or not parts.hostname
        or parts.path
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
    ):
        raise ValidationError(
            _("Enter an origin such as https://www.example.fr (scheme and host, no path).")
        )
    try:
        port = parts.port
    except ValueError:
        raise ValidationError(_("The port is not a number.")) from None
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{parts.hostname.lower()}" + (
        f":{port}" if port and port != default else ""
    )


@transaction.atomic
def website_update(
    *, client: Client, allowed_origins: list[str], default_number: str | None, actor: Any = None
) -> Website:
    """Replace the allowed origins and set the default number (E.164, or None)."""
    errors: dict[str, list[str]] = {}
    origins: list[str] = []
    for raw in allowed_origins:
        try:
            origin = origin_normalise(raw)
        except ValidationError as error:
            errors.setdefault("allowed_origins", []).extend(error.messages)
            continue
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_ORIGINS:
        errors["allowed_origins"] = [_("At most %(max)s origins.") % {"max": MAX_ORIGINS}]
    number = None
    if default_number:
        number = (
            TrackingNumber.objects.for_client(client)
            .filter(number=default_number, active=True)
            .first()
        )
        if number is None:
            errors["default_number"] = [_("Choose one of your active tracking numbers.")]
    if errors:
        raise ValidationError(errors)
    website = (
        Website.objects.for_client(client).select_for_update().get(pk=website_for(client=client).pk)
    )
    AllowedOrigin.objects.for_client(client).exclude(origin__in=origins).delete()
    kept = set(AllowedOrigin.objects.for_client(client).values_list("origin", flat=True))
    AllowedOrigin.objects.bulk_create(
        AllowedOrigin(client=client, website=website, origin=origin)
        for origin in origins
        if origin not in kept
    )
    website.default_number = number
    website.save(update_fields=["default_number", "updated_at"])
    audit_record(
        action=AuditAction.WEBSITE_SETTINGS_CHANGED,
        actor=actor,
        client_id=client.pk,
        object_type="website",
        object_id=website.pk,
        metadata={"origins": len(origins), "default_number_set": number is not None},
    )
    return website
