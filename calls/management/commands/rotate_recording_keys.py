from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from calls.media.format import IntegrityError
from calls.media.keys import active_key_id
from calls.services import media_keys_rotate_across_clients


class Command(BaseCommand):
    help = (
        "Re-wrap every recording's and voice message's data key under the active key (the first of "
        "RECORDING_KEYS). No audio is re-encrypted; afterwards older keys can leave RECORDING_KEYS."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = media_keys_rotate_across_clients()
        except IntegrityError as error:
            raise CommandError(
                f"A data key could not be opened ({error}); keep every key still in use in RECORDING_KEYS."
            ) from None
        # What higher apps re-sealed through the rotation hook (calls.signals), e.g. telephony.
        others = "".join(
            f"; re-sealed {count} {name.replace('_', ' ')}(s)"
            for name, count in counts.items()
            if name not in ("recording", "voicemail")
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-wrapped {counts['recording']} recording key(s) and {counts['voicemail']} voice "
                f"message key(s) under {active_key_id()!r}{others}."
            )
        )
