"""The code step under attack: concurrent guesses, and a number that asks twice (SPEC §8)."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from django.db import connection
from django.utils import timezone

from privacy.models import (
    ContactVerification,
    DataSubjectRequest,
    RequestScope,
    RequestSource,
    RequestStatus,
)
from privacy.public import MAX_ATTEMPTS, verification_check, verification_start
from privacy.sms import MemorySmsBackend

URL = "/privacy/request/"
VERIFY = "/privacy/request/verify/"
PHONE = "+33612345678"
THREADS = 40


@pytest.fixture(autouse=True)
def outbox():
    MemorySmsBackend.outbox.clear()
    yield MemorySmsBackend.outbox
    MemorySmsBackend.outbox.clear()


def _code(outbox) -> str:
    return re.search(r"\b(\d{6})\b", outbox[-1][1]).group(1)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def _ask_and_verify(client, outbox, *, kind: str = "erasure", phone: str = PHONE):
    asked = client.post(URL, {"phone": phone, "kind": kind})
    assert asked.status_code == 302 and asked.url == VERIFY
    return client.post(VERIFY, {"code": _code(outbox)})


def _race(target, count: int = THREADS) -> list[object]:
    """Run `target` in `count` threads released together; each thread's outcome, in no order."""
    barrier = threading.Barrier(count)
    outcomes: list[object] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            outcomes.append(target())
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return outcomes


# --- Item: five tries, however many arrive at once -------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["access", "erasure"])
def test_the_right_code_sent_by_forty_threads_at_the_last_try_files_exactly_one_request(
    kind, outbox
):
    verification = verification_start(phone=PHONE, kind=kind, ip_address="198.51.100.7")
    code = _code(outbox)
    ContactVerification.objects.filter(pk=verification.pk).update(attempts=MAX_ATTEMPTS - 1)

    outcomes = _race(
        lambda: verification_check(verification_id=verification.pk, phone=PHONE, code=code)
    )

    # Only one try was left, so only one of the forty may have had its code compared at all.
    assert len([filed for filed in outcomes if filed is not None]) == 1
    assert DataSubjectRequest.objects.count() == 1
    assert ContactVerification.objects.get(pk=verification.pk).attempts == MAX_ATTEMPTS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("phone", ["+33612345678", "+33612345679", "+33612345670"])
def test_forty_simultaneous_wrong_guesses_use_up_exactly_the_five_tries(phone, outbox):
    # Three numbers, three races: a lost update shows in most races, not in every one.
    verification = verification_start(phone=phone, kind="erasure", ip_address="198.51.100.7")
    code = _code(outbox)

    outcomes = _race(
        lambda: verification_check(verification_id=verification.pk, phone=phone, code=_wrong(code))
    )

    assert outcomes == [None] * THREADS
    assert ContactVerification.objects.get(pk=verification.pk).attempts == MAX_ATTEMPTS
    # Every try was counted, so the right code comes too late.
    assert verification_check(verification_id=verification.pk, phone=phone, code=code) is None
    assert not DataSubjectRequest.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_right_code_sent_by_forty_threads_at_once_files_one_request(outbox):
    verification = verification_start(phone=PHONE, kind="access", ip_address="198.51.100.7")
    code = _code(outbox)

    outcomes = _race(
        lambda: verification_check(verification_id=verification.pk, phone=PHONE, code=code)
    )

    assert len([filed for filed in outcomes if filed is not None]) == 1
    assert DataSubjectRequest.objects.count() == 1
    assert ContactVerification.objects.get(pk=verification.pk).attempts <= MAX_ATTEMPTS


# --- Item: the same number asks twice --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["erasure", "access"])
def test_a_second_verified_request_for_the_same_number_gets_the_same_confirmation_and_no_duplicate(
    client, db, outbox, kind
):
    first = _ask_and_verify(client, outbox, kind=kind)
    second = _ask_and_verify(client, outbox, kind=kind)

    assert first.status_code == second.status_code == 200
    assert second.content == first.content  # nothing tells that a request was already open
    request = DataSubjectRequest.objects.get()
    assert (request.kind, request.source, request.scope, request.verified) == (
        kind,
        RequestSource.CONTACT,
        RequestScope.ALL_CLIENTS,
        True,
    )
    assert request.status == RequestStatus.RECEIVED


def test_the_confirmation_gives_no_hint_of_an_older_open_request_or_of_a_client_holding_the_number(
    client, acme, acme_number, outbox
):
    from tests.factories import CallFactory, ContactFactory

    CallFactory(
        client=acme,
        tracking_number=acme_number,
        contact=ContactFactory(client=acme, phone_number=PHONE),
    )
    _ask_and_verify(client, outbox)
    older = timezone.localdate() - dt.timedelta(days=12)
    DataSubjectRequest.objects.update(received_on=older, due_on=older + dt.timedelta(days=30))

    again = _ask_and_verify(client, outbox)  # held by Acme, and asked for 12 days ago
    nobody = _ask_and_verify(client, outbox, phone="+33698765432")  # neither

    assert again.status_code == nobody.status_code == 200
    # Each page carries its request's reference, random either way: the rest is identical.
    assert _without_reference(again.content) == _without_reference(nobody.content)
    assert DataSubjectRequest.objects.filter(received_on=older).count() == 1
    assert DataSubjectRequest.objects.count() == 2


def _without_reference(content: bytes) -> bytes:
    import re

    return re.sub(rb'id="reference">R-[0-9A-Z]{6}<', b'id="reference"><', content)
