"""E.164 phone numbers: parsed and normalised with `phonenumbers`, used by every app."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError

INVALID_PHONE_MESSAGE = "Enter a valid phone number in international format, e.g. +33612345678."


def normalize_e164(raw: str, *, default_region: str | None = None) -> str:
    """The E.164 form of `raw`, or a ValidationError that never echoes the input."""
    try:
        number = phonenumbers.parse(raw.strip(), default_region)
    except (phonenumbers.NumberParseException, AttributeError):
        raise ValidationError(INVALID_PHONE_MESSAGE, code="invalid_phone") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(INVALID_PHONE_MESSAGE, code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
