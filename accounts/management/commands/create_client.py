from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.management.commands._base import parse_date, validation_message
from accounts.services import client_create


class Command(BaseCommand):
    help = "Create a Client (a tenant)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--slug", required=True)
        parser.add_argument("--contract-end", help="YYYY-MM-DD")
        parser.add_argument(
            "--country", help="ISO 3166 code, e.g. FR (the default): how phone numbers are written"
        )
        parser.add_argument("--time-zone", help="e.g. Europe/Paris (the default)")

    def handle(self, *args: Any, **options: Any) -> None:
        contract_end = options["contract_end"]
        try:
            client = client_create(
                name=options["name"],
                slug=options["slug"],
                contract_end=parse_date(contract_end, option="--contract-end")
                if contract_end
                else None,
                time_zone=options["time_zone"],
                country=options["country"],
            )
        except ValidationError as error:
            raise CommandError(validation_message(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Created Client {client.name!r} (slug {client.slug}, country {client.country}, "
                f"id {client.pk})."
            )
        )
