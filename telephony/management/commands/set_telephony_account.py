from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.management.commands._base import client_by_slug, validation_message
from telephony.models import Provider
from telephony.services import telephony_account_set


class Command(BaseCommand):
    help = (
        "Set a Client's telephony account. The auth token comes from TELEPHONY_AUTH_TOKEN or a "
        "prompt, never from an argument (arguments end up in shell histories and process lists)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client", required=True, help="the Client's slug")
        parser.add_argument("--provider", required=True, choices=Provider.values)
        parser.add_argument("--account-sid", required=True, dest="account_sid")

    def handle(self, *args: Any, **options: Any) -> None:
        client = client_by_slug(options["client"])
        token = os.environ.get("TELEPHONY_AUTH_TOKEN", "").strip()
        if not token:
            if not sys.stdin.isatty():
                raise CommandError(
                    "Set TELEPHONY_AUTH_TOKEN, or run the command in a terminal to be prompted."
                )
            token = getpass.getpass("Auth token: ").strip()
        if not token:
            raise CommandError("An auth token is required.")
        try:
            account = telephony_account_set(
                client=client,
                provider=options["provider"],
                account_sid=options["account_sid"],
                auth_token=token,
            )
        except ValidationError as error:
            raise CommandError(validation_message(error)) from None
        self.stdout.write(
            f"Telephony account {account.account_sid} ({account.get_provider_display()}) set for "
            f"{client.slug}; its auth token is stored encrypted."
        )
