from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from privacy.erasure import erasures_replay_across_clients


class Command(BaseCommand):
    help = "After restoring a backup, erase again every Contact that a done erasure request had erased."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = erasures_replay_across_clients()
        self.stdout.write(
            self.style.SUCCESS(
                f"Checked {counts['requests']} done erasure request(s); erased {counts['contacts']} Contact(s) again."
            )
        )
