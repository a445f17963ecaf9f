from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.management.commands._base import (
    client_by_slug,
    password_from_option_or_prompt,
    validation_message,
)
from accounts.roles import Role
from accounts.services import user_create


class Command(BaseCommand):
    help = "Create a User of a Client."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client", required=True, help="the Client's slug")
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--password", help="prompted for when omitted")

    def handle(self, *args: Any, **options: Any) -> None:
        client = client_by_slug(options["client"])
        email = options["email"]
        local_part = email.split("@", 1)[0]
        try:
            user = user_create(
                client=client,
                email=email,
                first_name=options["first_name"] or local_part.capitalize(),
                last_name=options["last_name"] or client.name,
                role=options["role"],
                password=password_from_option_or_prompt(options["password"]),
            )
        except ValidationError as error:
            raise CommandError(validation_message(error)) from None
        self.stdout.write(self.style.SUCCESS(f"Created {user.role} {user.email} in {client.slug}."))
