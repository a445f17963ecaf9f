"""Telephony providers behind one interface (`base.VoiceProvider`); Twilio is the first."""

from __future__ import annotations

from telephony.providers.base import VoiceProvider
from telephony.providers.twilio import TwilioProvider

PROVIDERS: dict[str, VoiceProvider] = {"twilio": TwilioProvider()}


def provider_for(name: str) -> VoiceProvider:
    return PROVIDERS[name]
