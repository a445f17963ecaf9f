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


# --- The embedded default: SQLite serves the form from many threads (`make run`) ---------------

from tests.calls.test_ingest_sqlite_concurrency import sqlite_server  # noqa: E402, F401


def _post_form(base: str, phone: str) -> int:
    """GET the form for its CSRF cookie and token, then POST it; the POST's status."""
    import http.cookiejar
    import re
    import urllib.error
    import urllib.parse
    import urllib.request

    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(f"{base}{URL}", timeout=60) as page:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode())
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1), "phone": phone, "kind": "erasure"}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 (a loopback URL of our own)
        f"{base}{URL}", data=body, headers={"Referer": base}
    )
    try:
        with opener.open(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_on_sqlite_simultaneous_requests_for_one_number_pass_only_the_hourly_limit(
    sqlite_server,  # noqa: F811 (the fixture, imported above)
):
    import sqlite3

    base, _key, database = sqlite_server
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []

    def run() -> None:
        barrier.wait()
        statuses.append(_post_form(base, "+33612348888"))

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Each success follows its redirect to the code page (200); the others are refused (429).
    assert sorted(statuses) == [200] * PER_NUMBER_PER_HOUR + [429] * (
        THREADS - PER_NUMBER_PER_HOUR
    ), statuses
    with sqlite3.connect(database) as db:
        (rows,) = db.execute(
            f"SELECT count(*) FROM {ContactVerification._meta.db_table}"  # noqa: S608
        ).fetchone()
    assert rows == PER_NUMBER_PER_HOUR
