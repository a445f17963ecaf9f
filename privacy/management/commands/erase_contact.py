from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Client
from accounts.phones import normalize_e164
from privacy.erasure import contact_preview_across_clients
from privacy.models import RequestScope, RequestSource
from privacy.services import erasure_request_file, request_execute


class Command(BaseCommand):
    help = "Erase a Contact's number in one Client's account (--client) or in every account; files and executes a DPO request."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--phone", required=True, help="E.164, e.g. +33612345678")
        parser.add_argument("--client", help="the Client's slug; every account when omitted")
        parser.add_argument(
            "--dry-run", action="store_true", help="show what would be erased; change nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            phone = normalize_e164(options["phone"])
        except ValidationError:
            raise CommandError(
                "--phone must be a valid number in international format, e.g. +33612345678."
            ) from None
        client = None
        if options["client"]:
            client = Client.objects.filter(slug=options["client"]).first()
            if client is None:
                raise CommandError(f"No Client has the slug {options['client']!r}.")
        preview = contact_preview_across_clients(phone=phone, client=client)
        for match in preview.matches:
            self.stdout.write(
                f"{match.client.slug}: {match.calls} calls, {match.recordings} recordings, {match.voicemails} voice messages"
            )
        if options["dry_run"]:
            self.stdout.write(
                f"Dry run: {len(preview.matches)} account(s) would be erased; nothing changed."
            )
            return
        subject_request = erasure_request_file(
            client=client,
            phone=phone,
            source=RequestSource.DPO,
            scope=RequestScope.ONE_CLIENT if client else RequestScope.ALL_CLIENTS,
            notes="Filed and executed with manage.py erase_contact.",
        )
        subject_request = request_execute(subject_request=subject_request, actor=None)
        totals = subject_request.result.get("total", {})
        self.stdout.write(
            self.style.SUCCESS(
                f"Erased in {len(subject_request.result.get('per_client', {}))} account(s): {totals.get('calls', 0)} calls anonymised, "
                f"{totals.get('recordings', 0)} recordings and {totals.get('voicemails', 0)} voice messages shredded "
                f"(request {subject_request.pk})."
            )
        )
