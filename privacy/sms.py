"""Pluggable SMS sending (SMS_BACKEND): a provider's backend implements `send(phone, text)`.

The one-time code proves a privacy request comes from whoever holds the number, so a code must
reach that number and nothing else. The development backend writes it to the log; in production
that would let anyone who reads the logs verify a request for any number, so production refuses
every development backend (and an unset SMS_BACKEND) until a provider's backend is configured.
"""

from __future__ import annotations

import logging
from typing import ClassVar, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from dexem.settings.env import PRODUCTION

logger = logging.getLogger(__name__)


class SmsUnavailable(Exception):
    """No code can be sent: no provider is configured here, or the provider failed to take it.
    A provider's backend raises it from `send` when the message could not be handed over."""


class SmsBackend(Protocol):
    def send(self, phone: str, text: str) -> None: ...


def _in_production() -> bool:
    return getattr(settings, "DJANGO_ENV", None) == PRODUCTION


class LoggingSmsBackend:
    """Development: the message goes to the log, the number masked to its last two digits."""

    development_only: ClassVar[bool] = True

    def send(self, phone: str, text: str) -> None:
        # Checked here too, not only when the backend is chosen: the code must never reach a
        # production log line, however this class came to be called.
        if _in_production():
            raise SmsUnavailable("the development SMS backend does not send in production")
        logger.warning("SMS to …%s: %s", phone[-2:], text)


class MemorySmsBackend:
    """Tests: messages are kept in `outbox`."""

    development_only: ClassVar[bool] = True
    outbox: ClassVar[list[tuple[str, str]]] = []

    def send(self, phone: str, text: str) -> None:
        self.outbox.append((phone, text))


def sms_backend() -> SmsBackend:
    """The configured backend, or SmsUnavailable when none may send here."""
    path = getattr(settings, "SMS_BACKEND", "") or ""
    if not path:
        logger.error("SMS_BACKEND is not set: one-time codes cannot be sent")
        raise SmsUnavailable("SMS_BACKEND is not set")
    try:
        backend_class = import_string(path)
    except ImportError:
        logger.error("SMS_BACKEND %s cannot be imported: one-time codes cannot be sent", path)
        raise SmsUnavailable("SMS_BACKEND cannot be imported") from None
    if _in_production() and getattr(backend_class, "development_only", False):
        logger.error(
            "SMS_BACKEND %s is a development backend, refused in production: "
            "one-time codes cannot be sent until a provider's backend is configured",
            path,
        )
        raise SmsUnavailable("a development SMS backend is refused in production")
    return backend_class()
