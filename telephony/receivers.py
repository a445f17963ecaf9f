"""What telephony adds to the calls app's hooks (connected in TelephonyConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from accounts.phones import phone_display
from telephony.models import ProviderCall, ProviderRecording, RecordingState
from telephony.services import telephony_tokens_reseal_across_clients


def tokens_reseal(sender: Any, *, actor: Any = None, **kwargs: Any) -> dict[str, int]:
    return telephony_tokens_reseal_across_clients(actor=actor)


def call_facts(sender: Any, *, call: Any, **kwargs: Any) -> list[tuple[str, str]]:
    """Where a call from the telephone network was put through, whether the caller heard the
    announcement, and whether a recording could not be fetched."""
    leg = (
        ProviderCall.objects.for_client(call.client)
        .filter(provider_call_id=call.external_id)
        .first()
    )
    if leg is None:
        return []
    facts = [
        (
            _("Put through to"),
            phone_display(leg.forwarded_to, region=call.client.country)
            if leg.forwarded_to
            else _("nobody (no forwarding number)"),
        ),
        (
            _("Announcement"),
            _("heard by the caller") if leg.announced else _("not played (call not recorded)"),
        ),
    ]
    if leg.voicemail_offered:
        facts.append((_("Voicemail"), _("offered to the caller")))
    unavailable = (
        ProviderRecording.objects.for_client(call.client)
        .filter(provider_call=leg, state=RecordingState.UNAVAILABLE)
        .exists()
    )
    if unavailable:
        facts.append(
            (_("Recording"), _("recording unavailable: the provider's copy could not be fetched"))
        )
    return facts
