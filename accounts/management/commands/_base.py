"""Shared pieces of the accounts commands: clear errors, never a traceback for bad input."""

from __future__ import annotations

import datetime as dt
import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from accounts.models import Client


def parse_date(value: str, *, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} must be a date as YYYY-MM-DD, not {value!r}.") from None


def client_by_slug(slug: str) -> Client:
    try:
        return Client.objects.get(slug=slug)
    except Client.DoesNotExist:
        raise CommandError(f"No Client has the slug {slug!r}.") from None


def password_from_option_or_prompt(password: str | None) -> str:
    if password:
        return password
    if not sys.stdin.isatty():
        raise CommandError("Give --password, or run the command in a terminal to be prompted.")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password (again): "):
        raise CommandError("The two passwords differ.")
    return first


def validation_message(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}" if field != "__all__" else " ".join(messages)
            for field, messages in error.message_dict.items()
        )
    return " ".join(error.messages)
