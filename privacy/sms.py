"""Pluggable SMS sending (SMS_BACKEND): a provider's backend implements `send(phone, text)`."""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsBackend(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class LoggingSmsBackend:
    """Development: the message goes to the log, the number masked to its last two digits."""

    def send(self, phone: str, text: str) -> None:
        logger.warning("SMS to …%s: %s", phone[-2:], text)


class MemorySmsBackend:
    """Tests: messages are kept in `outbox`."""

    outbox: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        self.outbox.append((phone, text))


def sms_send(phone: str, text: str) -> None:
    import_string(settings.SMS_BACKEND)().send(phone, text)
