"""The one small interface every telephony provider implements (SPEC §12).

Nothing outside `telephony/providers/` knows a provider's parameter names, its signature scheme
or its call-control language: the webhooks hand the provider the request's parameters and get
plain facts back, and ask it for the answer to send.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass

# The outcomes a provider's reports are mapped to before anything is decided on them.
ANSWERED, NO_ANSWER, BUSY, FAILED, CANCELED = "answered", "no_answer", "busy", "failed", "canceled"
COMPLETED, IN_PROGRESS = "completed", "in_progress"


class BadParameters(ValueError):
    """A required parameter is missing or malformed; `field` names it (no value is echoed)."""

    def __init__(self, field: str) -> None:
        super().__init__(f"missing or malformed parameter {field}")
        self.field = field


@dataclass(frozen=True)
class IncomingCall:
    call_id: str
    called: str  # E.164, normalised
    caller: str | None  # E.164, or None when withheld or not a phone number


@dataclass(frozen=True)
class DialReport:
    call_id: str
    outcome: str  # ANSWERED, NO_ANSWER, BUSY, FAILED or CANCELED
    duration: int | None


@dataclass(frozen=True)
class CallReport:
    call_id: str
    status: str  # COMPLETED, IN_PROGRESS, NO_ANSWER, BUSY, FAILED or CANCELED
    duration: int | None


@dataclass(frozen=True)
class RecordingReport:
    call_id: str
    recording_id: str
    completed: bool
    duration: int | None


@dataclass(frozen=True)
class ForwardPlan:
    forward_to: str
    ring_seconds: int
    record: bool
    announcement: str
    language: str
    dial_status_url: str
    recording_url: str


class VoiceProvider(abc.ABC):
    name: str
    signature_header: str  # as in request.META

    @abc.abstractmethod
    def account_id(self, params: Mapping[str, str]) -> str | None:
        """The provider account the request claims to come from (checked by `verify`)."""

    @abc.abstractmethod
    def verify(self, *, url: str, params: Mapping[str, str], signature: str, token: str) -> bool:
        """Whether `signature` proves the provider sent `params` to `url`."""

    @abc.abstractmethod
    def parse_incoming(self, params: Mapping[str, str]) -> IncomingCall: ...

    @abc.abstractmethod
    def parse_dial(self, params: Mapping[str, str]) -> DialReport: ...

    @abc.abstractmethod
    def parse_status(self, params: Mapping[str, str]) -> CallReport: ...

    @abc.abstractmethod
    def parse_recording(
        self, params: Mapping[str, str], *, account_id: str, api_base: str
    ) -> RecordingReport:
        """Refuses (BadParameters) a recording URL other than the provider's own for this
        account and recording: nothing is ever fetched from where a callback points."""

    @abc.abstractmethod
    def answer_forward(self, plan: ForwardPlan) -> str: ...

    @abc.abstractmethod
    def answer_voicemail(
        self, *, prompt: str, language: str, recording_url: str, after_url: str
    ) -> str: ...

    @abc.abstractmethod
    def answer_reject(self) -> str: ...

    @abc.abstractmethod
    def answer_hangup(self) -> str: ...

    @abc.abstractmethod
    def answer_nothing(self) -> str: ...

    @abc.abstractmethod
    def recording_media_url(self, *, api_base: str, account_id: str, recording_id: str) -> str: ...

    @abc.abstractmethod
    def recording_delete_url(self, *, api_base: str, account_id: str, recording_id: str) -> str: ...
