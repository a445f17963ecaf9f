"""Which language a person reads (SPEC §14): their own choice, else their Client's country's,
else (anonymous pages, staff without a choice) what the browser asks for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from accounts.models import Client, User

# Countries whose businesses read French first; every other country gets English.
FRENCH_SPEAKING_COUNTRIES = frozenset({"FR", "BE", "LU", "MC", "CH", "RE", "GP", "MQ", "GF", "YT"})


def language_for_country(country: str) -> str:
    return "fr" if country.upper() in FRENCH_SPEAKING_COUNTRIES else "en"


def language_for_client(client: Client | None) -> str:
    return language_for_country(client.country) if client is not None else settings.LANGUAGE_CODE


def language_for_user(user: User) -> str | None:
    """The language to use for `user`, or None when only their browser can say (staff without a
    choice of their own)."""
    if user.language:
        return user.language
    if user.client_id is not None:
        return language_for_client(user.client)
    return None
