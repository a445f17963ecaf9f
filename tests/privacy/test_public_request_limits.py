"""The public form's hourly limits hold when requests arrive together (SPEC §8): the count and the
insert are one step per number and per address."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from privacy.models import ContactVerification
from privacy.public import PER_ADDRESS_PER_HOUR, PER_NUMBER_PER_HOUR
from privacy.sms import MemorySmsBackend

URL = "/privacy/request/"
PHONE = "+33612347777"
THREADS = 15


@pytest.fixture(autouse=True)
def outbox():
    MemorySmsBackend.outbox.clear()
    yield MemorySmsBackend.outbox
    MemorySmsBackend.outbox.clear()


def _post_together(addresses_and_phones: list[tuple[str, str]]) -> list[int]:
    """POST the form once per (address, phone), all threads released at once; the statuses."""
    barrier = threading.Barrier(len(addresses_and_phones))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def run(address: str, phone: str) -> None:
        try:
            browser = Client(REMOTE_ADDR=address)
            barrier.wait()
            statuses.append(browser.post(URL, {"phone": phone, "kind": "erasure"}).status_code)
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in addresses_and_phones]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return statuses


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifteen_simultaneous_requests_for_one_number_send_exactly_the_hourly_limit(outbox):
    statuses = _post_together([(f"198.51.100.{i}", PHONE) for i in range(THREADS)])

    assert sorted(statuses) == [302] * PER_NUMBER_PER_HOUR + [429] * (THREADS - PER_NUMBER_PER_HOUR)
    assert [phone for phone, _ in outbox] == [PHONE] * PER_NUMBER_PER_HOUR
    assert ContactVerification.objects.count() == PER_NUMBER_PER_HOUR


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifteen_simultaneous_requests_from_one_address_send_exactly_its_hourly_limit(outbox):
    phones = [f"+336123500{i:02d}" for i in range(THREADS)]

    statuses = _post_together([("203.0.113.9", phone) for phone in phones])

    assert statuses.count(302) == PER_ADDRESS_PER_HOUR
    assert len(outbox) == PER_ADDRESS_PER_HOUR


@pytest.mark.django_db
def test_the_limit_counts_one_request_after_another_too(outbox):
    statuses = [
        Client(REMOTE_ADDR=f"198.51.100.{i}")
        .post(URL, {"phone": PHONE, "kind": "access"})
        .status_code
        for i in range(PER_NUMBER_PER_HOUR + 1)
    ]

    assert statuses == [302] * PER_NUMBER_PER_HOUR + [429]
    assert len(outbox) == PER_NUMBER_PER_HOUR
