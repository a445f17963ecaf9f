"""SMS backends (SPEC §8): the development backend logs its codes, so production refuses it."""

from __future__ import annotations

import logging
import re
from typing import ClassVar

import pytest
from django.test import override_settings

from privacy.models import ContactVerification
from privacy.sms import LoggingSmsBackend, MemorySmsBackend, SmsUnavailable
from tests.dexem.test_settings import PRODUCTION_ENV, _manage

URL = "/privacy/request/"
VERIFY = "/privacy/request/verify/"
PHONE = "+33612345678"
CODE = re.compile(r"\b\d{6}\b")


class ProviderSmsBackend:
    """Stands for a provider's backend: it is not a development one, so production may use it."""

    sent: ClassVar[list[tuple[str, str]]] = []

    def send(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))


class FailingProviderSmsBackend:
    def send(self, phone: str, text: str) -> None:
        raise SmsUnavailable("the provider refused the message")


PROVIDER = f"{__name__}.ProviderSmsBackend"


@pytest.fixture(autouse=True)
def outboxes():
    MemorySmsBackend.outbox.clear()
    ProviderSmsBackend.sent.clear()
    yield
    MemorySmsBackend.outbox.clear()
    ProviderSmsBackend.sent.clear()


def _assert_no_code_or_number_logged(caplog) -> None:
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert not CODE.search(text), text
    assert "33612345678" not in text and "your code" not in text


@pytest.mark.parametrize(
    "backend",
    ["privacy.sms.LoggingSmsBackend", "privacy.sms.MemorySmsBackend", ""],
    ids=["logging", "memory", "unset"],
)
def test_in_production_the_form_sends_no_code_without_a_provider_and_says_verification_is_unavailable(
    client, db, caplog, backend
):
    caplog.set_level(logging.DEBUG)
    with override_settings(DJANGO_ENV="production", SMS_BACKEND=backend):
        response = client.post(URL, {"phone": PHONE, "kind": "erasure"})

    assert response.status_code == 503
    page = response.content.decode()
    assert "Verification is unavailable" in page and "No code was sent" in page
    assert not MemorySmsBackend.outbox
    assert not ContactVerification.objects.exists()  # nothing counts against the number
    assert client.get(VERIFY).status_code == 302  # and there is no code step to go on to
    _assert_no_code_or_number_logged(caplog)


def test_the_development_backend_logs_nothing_in_production_even_when_called(caplog):
    caplog.set_level(logging.DEBUG)
    with (
        override_settings(DJANGO_ENV="production"),
        pytest.raises(SmsUnavailable),
    ):
        LoggingSmsBackend().send(PHONE, "Dexem: your code is 123456.")
    _assert_no_code_or_number_logged(caplog)


def test_in_production_a_providers_backend_sends_the_code(client, db, caplog):
    caplog.set_level(logging.DEBUG)
    with override_settings(DJANGO_ENV="production", SMS_BACKEND=PROVIDER):
        response = client.post(URL, {"phone": PHONE, "kind": "erasure"})

    assert (response.status_code, response.url) == (302, VERIFY)
    assert [phone for phone, _ in ProviderSmsBackend.sent] == [PHONE]
    assert ContactVerification.objects.count() == 1
    _assert_no_code_or_number_logged(caplog)


def test_a_provider_that_cannot_take_the_message_leaves_verification_unavailable(client, db):
    with override_settings(SMS_BACKEND=f"{__name__}.FailingProviderSmsBackend"):
        response = client.post(URL, {"phone": PHONE, "kind": "access"})
    assert (
        response.status_code == 503 and "Verification is unavailable" in response.content.decode()
    )
    assert not ContactVerification.objects.exists()


def test_a_backend_path_that_does_not_import_is_unavailable_not_an_error(client, db):
    with override_settings(SMS_BACKEND="privacy.sms.NoSuchBackend"):
        response = client.post(URL, {"phone": PHONE, "kind": "erasure"})
    assert response.status_code == 503


def test_in_development_the_logging_backend_logs_the_code_with_the_number_masked(caplog):
    caplog.set_level(logging.DEBUG)
    with override_settings(DJANGO_ENV="development"):
        LoggingSmsBackend().send(PHONE, "Dexem: your code is 123456.")
    text = caplog.text
    assert "123456" in text and "…78" in text and PHONE not in text


def test_the_production_settings_name_no_sms_backend_unless_told():
    shown = "from django.conf import settings; print(repr(settings.SMS_BACKEND))"
    unset = _manage("shell", "--no-imports", "-c", shown, env=PRODUCTION_ENV)
    assert unset.returncode == 0, unset.stderr
    assert unset.stdout.strip() == "''"
    named = _manage(
        "shell", "--no-imports", "-c", shown, env={**PRODUCTION_ENV, "SMS_BACKEND": PROVIDER}
    )
    assert named.stdout.strip() == repr(PROVIDER)
