from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from calls.media.moving import objects_move_to_s3_across_clients
from calls.media.storage import filesystem_storage, s3_storage, storage_describe


class Command(BaseCommand):
    help = (
        "Move the encrypted recordings, voice messages and export files from RECORDING_STORAGE_DIR "
        "to the S3 bucket of the S3_* settings: copy, verify, then delete the local file. "
        "Resumable: run it again after an interruption. See docs/scaling.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=100, help="Rows read at a time (default 100)."
        )
        parser.add_argument(
            "--limit", type=int, default=None, help="Stop after moving this many objects."
        )
        parser.add_argument(
            "--keep-local",
            action="store_true",
            help="Copy and verify only; leave the local files (a first pass before the switch).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1 or (options["limit"] is not None and options["limit"] < 0):
            raise CommandError("--batch-size must be at least 1 and --limit at least 0.")
        try:
            target = s3_storage()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        verbose = options["verbosity"] >= 2
        self.stdout.write(
            f"From {storage_describe(filesystem_storage())} to {storage_describe(target)}."
        )

        def progress(name: str, outcome: str, why: str) -> None:
            if verbose or why:
                self.stdout.write(f"{name}: {outcome}" + (f" ({why})" if why else ""))

        report = objects_move_to_s3_across_clients(
            batch_size=options["batch_size"],
            limit=options["limit"],
            keep_local=options["keep_local"],
            progress=progress,
        )
        summary = ", ".join(f"{count} {outcome}" for outcome, count in report.counts.items())
        self.stdout.write(summary + ".")
        if report.stopped_at_limit:
            self.stdout.write("Stopped at --limit; run the command again to go on.")
        if report.problems:
            raise CommandError(
                f"{len(report.problems)} object(s) could not be moved (listed above); nothing was "
                "deleted for them. Inspect them, then run the command again."
            )
        self.stdout.write(self.style.SUCCESS("Done."))
