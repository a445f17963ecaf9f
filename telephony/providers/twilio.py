"""Twilio's Programmable Voice: its webhook parameters, its signature, TwiML, its REST paths.

TwiML is built and signatures are checked by the `twilio` package itself (`VoiceResponse`,
`RequestValidator`), so what we send and accept is what Twilio documents.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

from accounts.phones import normalize_e164
from telephony.providers import base

_SID = {
    "AccountSid": re.compile(r"AC[0-9a-f]{32}"),
    "CallSid": re.compile(r"CA[0-9a-f]{32}"),
    "RecordingSid": re.compile(r"RE[0-9a-f]{32}"),
}
_DIAL_OUTCOMES = {
    "completed": base.ANSWERED,
    "answered": base.ANSWERED,
    "no-answer": base.NO_ANSWER,
    "busy": base.BUSY,
    "failed": base.FAILED,
    "canceled": base.CANCELED,
}
_CALL_STATUSES = {
    "queued": base.IN_PROGRESS,
    "initiated": base.IN_PROGRESS,
    "ringing": base.IN_PROGRESS,
    "in-progress": base.IN_PROGRESS,
    "completed": base.COMPLETED,
    "no-answer": base.NO_ANSWER,
    "busy": base.BUSY,
    "failed": base.FAILED,
    "canceled": base.CANCELED,
}
API_VERSION = "2010-04-01"
# Twilio's ISO 639/3166 voices for <Say>.
_SAY_LANGUAGES = {
    "fr": "fr-FR",
    "en": "en-GB",
    "de": "de-DE",
    "es": "es-ES",
    "it": "it-IT",
    "nl": "nl-NL",
}


def is_sid(value: str, kind: str) -> bool:
    return bool(_SID[kind].fullmatch(value))


def _sid(params: Mapping[str, str], name: str) -> str:
    value = params.get(name, "")
    if not is_sid(value, name):
        raise base.BadParameters(name)
    return value


def _seconds(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 7:
        raise base.BadParameters(name)
    return int(raw)


def _choice(params: Mapping[str, str], name: str, choices: Mapping[str, str]) -> str:
    value = params.get(name, "")
    if value not in choices:
        raise base.BadParameters(name)
    return choices[value]


def _fixed_answer(verb: str | None) -> str:
    response = VoiceResponse()
    if verb is not None:
        getattr(response, verb)()
    return str(response)


# The answers that never vary, built once (by the twilio package still) rather than per request.
_REJECT, _HANGUP, _NOTHING = _fixed_answer("reject"), _fixed_answer("hangup"), _fixed_answer(None)


class TwilioProvider(base.VoiceProvider):
    name = "twilio"
    signature_header = "HTTP_X_TWILIO_SIGNATURE"

    def account_id(self, params: Mapping[str, str]) -> str | None:
        value = params.get("AccountSid", "")
        return value if is_sid(value, "AccountSid") else None

    def verify(self, *, url: str, params: Mapping[str, str], signature: str, token: str) -> bool:
        if not signature:
            return False
        return RequestValidator(token).validate(url, params, signature)

    def parse_incoming(self, params: Mapping[str, str]) -> base.IncomingCall:
        call_id = _sid(params, "CallSid")
        if params.get("Direction", "inbound") != "inbound":
            raise base.BadParameters("Direction")
        try:
            called = normalize_e164(params.get("To", ""))
        except ValidationError:
            raise base.BadParameters("To") from None
        try:
            caller = normalize_e164(params.get("From", ""))
        except ValidationError:
            caller = None  # withheld ("anonymous") or not a phone number: the call still counts
        return base.IncomingCall(call_id=call_id, called=called, caller=caller)

    def parse_dial(self, params: Mapping[str, str]) -> base.DialReport:
        return base.DialReport(
            call_id=_sid(params, "CallSid"),
            outcome=_choice(params, "DialCallStatus", _DIAL_OUTCOMES),
            duration=_seconds(params, "DialCallDuration"),
        )

    def parse_status(self, params: Mapping[str, str]) -> base.CallReport:
        return base.CallReport(
            call_id=_sid(params, "CallSid"),
            status=_choice(params, "CallStatus", _CALL_STATUSES),
            duration=_seconds(params, "CallDuration"),
        )

    def parse_recording(
        self, params: Mapping[str, str], *, account_id: str, api_base: str
    ) -> base.RecordingReport:
        call_id, recording_id = _sid(params, "CallSid"), _sid(params, "RecordingSid")
        expected = self._recording_url(
            api_base=api_base, account_id=account_id, recording_id=recording_id
        )
        if params.get("RecordingUrl", "") != expected:
            raise base.BadParameters("RecordingUrl")
        status = params.get("RecordingStatus", "")
        if status not in ("completed", "failed", "absent", "in-progress"):
            raise base.BadParameters("RecordingStatus")
        return base.RecordingReport(
            call_id=call_id,
            recording_id=recording_id,
            completed=status == "completed",
            duration=_seconds(params, "RecordingDuration"),
        )

    def answer_forward(self, plan: base.ForwardPlan) -> str:
        response = VoiceResponse()
        if plan.record and plan.announcement:
            response.say(plan.announcement, language=_SAY_LANGUAGES.get(plan.language, "en-GB"))
        options = {"timeout": plan.ring_seconds, "action": plan.dial_status_url, "method": "POST"}
        if plan.record:
            options |= {
                "record": "record-from-answer-dual",
                "recording_status_callback": plan.recording_url,
                "recording_status_callback_method": "POST",
            }
        dial = response.dial(**options)
        dial.number(plan.forward_to)
        return str(response)

    def answer_voicemail(
        self, *, prompt: str, language: str, recording_url: str, after_url: str
    ) -> str:
        response = VoiceResponse()
        response.say(prompt, language=_SAY_LANGUAGES.get(language, "en-GB"))
        response.record(
            max_length=120,
            play_beep=True,
            action=after_url,
            method="POST",
            recording_status_callback=recording_url,
            recording_status_callback_method="POST",
        )
        return str(response)

    def answer_reject(self) -> str:
        return _REJECT

    def answer_hangup(self) -> str:
        return _HANGUP

    def answer_nothing(self) -> str:
        return _NOTHING

    def _recording_url(self, *, api_base: str, account_id: str, recording_id: str) -> str:
        return (
            f"{api_base.rstrip('/')}/{API_VERSION}/Accounts/{account_id}/Recordings/{recording_id}"
        )

    def recording_media_url(self, *, api_base: str, account_id: str, recording_id: str) -> str:
        return (
            self._recording_url(api_base=api_base, account_id=account_id, recording_id=recording_id)
            + ".wav"
        )

    def recording_delete_url(self, *, api_base: str, account_id: str, recording_id: str) -> str:
        return (
            self._recording_url(api_base=api_base, account_id=account_id, recording_id=recording_id)
            + ".json"
        )
