"""`{{ number|phone:client }}`: a stored E.164 number as the Client's people read it (SPEC §14)."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.phones import phone_display, region_for

register = template.Library()


@register.filter(name="phone")
def phone(number: str | None, client: Any = None) -> str:
    """National for the Client's country (a Client or a region code), international otherwise."""
    return phone_display(number, region=region_for(client or None))
