from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from retention.models import RetentionJob, RunStatus
from retention.services import run_job


class Command(BaseCommand):
    help = "Purge what the retention policy says has expired (the four daily jobs), or count it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would go; change nothing"
        )
        parser.add_argument("--only", choices=RetentionJob.values, help="one job only")

    def handle(self, *args: Any, **options: Any) -> None:
        jobs = [options["only"]] if options["only"] else list(RetentionJob.values)
        verb = "would purge" if options["dry_run"] else "purged"
        # A failing job raises out of run_job (recorded as failed first): the command stops there.
        for job in jobs:
            run = run_job(job, dry_run=options["dry_run"])
            if run.status == RunStatus.SKIPPED:
                self.stdout.write(
                    self.style.WARNING(f"{job}: skipped, another run holds the lock.")
                )
                continue
            counts = (
                ", ".join(f"{count} {name}" for name, count in sorted(run.counts.items()))
                or "nothing"
            )
            self.stdout.write(f"{job}: {verb} {counts}.")
