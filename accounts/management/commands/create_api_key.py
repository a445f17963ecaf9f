from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.management.commands._base import client_by_slug, validation_message
from accounts.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for a Client; the key is printed once, alone on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client", required=True, help="the Client's slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--scopes", default="ingest,read", help="comma-separated: ingest, read")

    def handle(self, *args: Any, **options: Any) -> None:
        client = client_by_slug(options["client"])
        scopes = [scope.strip() for scope in options["scopes"].split(",") if scope.strip()]
        try:
            api_key, full_key = api_key_create(client=client, name=options["name"], scopes=scopes)
        except ValidationError as error:
            raise CommandError(validation_message(error)) from None
        self.stdout.write(
            f"Created API key {api_key.name!r} for {client.slug} with scopes "
            f"{', '.join(api_key.scopes)}. Store it now: it is not shown again."
        )
        self.stdout.write(full_key)
