from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from accounts.models import Client, User
from accounts.roles import Role
from accounts.services import client_create, staff_create, user_create
from calls.demo import demo_calls_create, demo_media_attach

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 (published demo login, development only)
DEMO_PEOPLE = [
    (Role.ADMIN, "Alice", "Martin"),
    (Role.MANAGER, "Bruno", "Durand"),
    (Role.ANALYST, "Chloé", "Bernard"),
]


class Command(BaseCommand):
    help = "Create demo Clients with a User of each role and calls (idempotent); print the logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--clients", type=int, default=1, help="how many demo Clients (default 1)"
        )
        parser.add_argument("--calls", type=int, default=2000, help="calls per demo Client")

    def handle(self, *args: Any, **options: Any) -> None:
        clients = max(1, options["clients"])
        logins: list[tuple[str, str]] = []
        for index in range(clients):
            slug = "demo" if index == 0 else f"demo-{index + 1}"
            with transaction.atomic():
                client = Client.objects.filter(slug=slug).first() or client_create(
                    name="Demo Company" if index == 0 else f"Demo Company {index + 1}", slug=slug
                )
                for role, first_name, last_name in DEMO_PEOPLE:
                    email = f"{role}@{slug}.dexem.example"
                    if not User.objects.filter(email=email).exists():
                        user_create(
                            client=client,
                            email=email,
                            first_name=first_name,
                            last_name=last_name,
                            role=role,
                            password=DEMO_PASSWORD,
                        )
                    logins.append((role, email))
        dpo_email = "dpo@staff.dexem.example"
        if not User.objects.filter(email=dpo_email).exists():
            staff_create(
                email=dpo_email,
                group="DPO",
                first_name="Dana",
                last_name="Privacy",
                password=DEMO_PASSWORD,
            )
        logins.append(("DPO staff (/admin/)", dpo_email))
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {clients} Client(s)."))
        self._seed_calls(options["calls"], clients)
        self.stdout.write("Demo logins (password for all: " + DEMO_PASSWORD + "):")
        for label, email in logins:
            self.stdout.write(f"  {label:<20} {email}")

    def _seed_calls(self, calls: int, clients: int) -> None:
        for client in Client.objects.filter(slug__startswith="demo").order_by("slug")[:clients]:
            existing = client.calls.count()
            if existing >= calls:
                self.stdout.write(f"{client.slug}: {existing} calls already, none added.")
                continue
            added = demo_calls_create(client=client, count=calls - existing, seed=existing)
            self.stdout.write(f"{client.slug}: added {added} demo calls over 24 months.")
        for client in Client.objects.filter(slug__startswith="demo").order_by("slug")[:clients]:
            attached = demo_media_attach(client=client)
            if attached:
                self.stdout.write(
                    f"{client.slug}: attached {attached} encrypted demo recordings and voice messages."
                )
