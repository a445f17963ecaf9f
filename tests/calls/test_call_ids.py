"""Call ids are UUIDs of version 7 (RFC 9562): the time they were made first, then randomness."""

from __future__ import annotations

import time
import uuid

from calls.models import Call, uuid7
from tests.factories import CallFactory


def _milliseconds(value: uuid.UUID) -> int:
    return value.int >> 80


def test_a_call_id_is_a_uuid_of_version_7_with_the_rfc_variant():
    value = uuid7()
    assert value.version == 7
    assert value.variant == uuid.RFC_4122


def test_a_call_id_starts_with_the_moment_it_was_made_in_milliseconds():
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000
    assert before <= _milliseconds(value) <= after


def test_ids_made_in_later_milliseconds_sort_after_earlier_ones():
    first = uuid7()
    time.sleep(0.002)
    assert uuid7() > first


def test_ids_made_in_the_same_millisecond_still_differ():
    assert len({uuid7() for _ in range(10_000)}) == 10_000


def test_a_call_made_by_the_orm_gets_such_an_id(acme, acme_number):
    call = CallFactory(client=acme, tracking_number=acme_number)
    assert Call.objects.for_client(acme).get(pk=call.pk).id.version == 7


def test_an_ingested_call_gets_such_an_id(acme_api, acme_number):
    response = acme_api.post(
        "/api/v1/calls/",
        {
            "external_id": "v7",
            "tracking_number": acme_number.number,
            "status": "answered",
            "started_at": "2026-12-01T10:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 201
    assert uuid.UUID(response.json()["id"]).version == 7
