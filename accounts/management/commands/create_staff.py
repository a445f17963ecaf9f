from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.management.commands._base import password_from_option_or_prompt, validation_message
from accounts.services import STAFF_GROUPS, staff_create


class Command(BaseCommand):
    help = "Create a platform staff account (DPO or Support), optionally a superuser."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--group", required=True, choices=STAFF_GROUPS)
        parser.add_argument("--superuser", action="store_true")
        parser.add_argument("--password", help="prompted for when omitted")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = staff_create(
                email=options["email"],
                group=options["group"],
                superuser=options["superuser"],
                password=password_from_option_or_prompt(options["password"]),
            )
        except ValidationError as error:
            raise CommandError(validation_message(error)) from None
        kind = "superuser" if user.is_superuser else "staff"
        self.stdout.write(
            self.style.SUCCESS(f"Created {kind} {user.email} in group {options['group']}.")
        )
