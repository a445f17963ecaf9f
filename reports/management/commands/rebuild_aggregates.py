from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Client
from reports.services import aggregates_rebuild


class Command(BaseCommand):
    help = "Recompute the daily aggregates of every Client (or one) from its calls and their attributions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client", metavar="SLUG", help="only this Client")

    def handle(self, *args: Any, **options: Any) -> None:
        clients = Client.objects.order_by("slug")
        if options["client"]:
            clients = clients.filter(slug=options["client"])
            if not clients.exists():
                raise CommandError(f"No Client with the slug {options['client']!r}.")
        for client in clients:
            days = aggregates_rebuild(client=client)
            self.stdout.write(f"{client.slug}: {days} day(s) with calls rebuilt.")
