"""Every way a call's counted facts change marks its local days dirty: the ingestion API (first
time and retried), a provider's later outcome through calls.services and its status webhook.
On PostgreSQL the ingestion writes the mark in its own statement (one round trip, no BEGIN or
COMMIT around it); on SQLite the ORM path marks through calls_changed. These tests run on
whichever database DATABASE_URL names; the one-query test needs PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calls.models import Call, CallStatus
from calls.services import call_ingest, call_outcome_set
from reports.models import DailyAggregate, DirtyDay
from reports.services import aggregates_fold, local_day
from tests.telephony.conftest import sid

PAST = dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC)
LATER = dt.datetime(2025, 3, 5, 10, tzinfo=dt.UTC)


def marked_days(client) -> list[dt.date]:
    return sorted(DirtyDay.objects.for_client(client).values_list("day", flat=True))


def post_call(api, number, **overrides):
    body = {
        "external_id": "x",
        "tracking_number": number.number,
        "status": "answered",
        "started_at": PAST.isoformat(),
        "duration_seconds": 30,
        **overrides,
    }
    return api.post("/api/v1/calls/", body, format="json")


def test_it_marks_the_day_of_a_call_ingested_through_the_api(acme, acme_api, acme_number):
    assert post_call(acme_api, acme_number).status_code == 201
    assert marked_days(acme) == [PAST.date()]


def test_it_marks_the_local_day_in_the_clients_time_zone(acme, acme_api, acme_number):
    late = dt.datetime(2025, 3, 1, 23, 30, tzinfo=dt.UTC)
    for zone, external_id in (("Europe/Paris", "paris"), ("America/New_York", "new-york")):
        acme.time_zone = zone
        acme.save()
        DirtyDay.objects.for_client(acme).delete()
        response = post_call(
            acme_api, acme_number, external_id=external_id, started_at=late.isoformat()
        )
        assert response.status_code == 201
        assert marked_days(acme) == [local_day(acme, late)]
    assert local_day(acme, late) == dt.date(2025, 3, 1)  # New York; Paris was the 2nd


def test_a_retry_that_changes_only_the_status_marks_the_day_again(acme, acme_api, acme_number):
    assert post_call(acme_api, acme_number, status="missed").status_code == 201
    aggregates_fold(client=acme)
    assert marked_days(acme) == []
    assert post_call(acme_api, acme_number, status="answered").status_code == 200
    assert marked_days(acme) == [PAST.date()]
    aggregates_fold(client=acme)
    assert DailyAggregate.objects.for_client(acme).get().status == CallStatus.ANSWERED


def test_a_retry_that_moves_the_call_marks_the_day_it_left_and_the_day_it_joined(
    acme, acme_api, acme_number
):
    assert post_call(acme_api, acme_number).status_code == 201
    aggregates_fold(client=acme)
    assert post_call(acme_api, acme_number, started_at=LATER.isoformat()).status_code == 200
    assert marked_days(acme) == [PAST.date(), LATER.date()]


def test_an_unknown_number_marks_nothing(acme, acme_api, globex_number):
    assert post_call(acme_api, globex_number).status_code == 400
    assert marked_days(acme) == []


def test_a_later_outcome_through_calls_services_marks_the_day(acme, acme_number):
    call_ingest(
        client=acme,
        external_id="x",
        tracking_number=acme_number.number,
        caller_number=None,
        status=CallStatus.MISSED,
        started_at=PAST,
    )
    aggregates_fold(client=acme)
    assert call_outcome_set(
        client=acme, external_id="x", status=CallStatus.ANSWERED, duration_seconds=40
    )
    assert marked_days(acme) == [PAST.date()]


@pytest.mark.django_db(transaction=True)
def test_a_status_webhook_moves_the_days_aggregate(twilio, acme, acme_account, forwarded_number):
    call_sid = sid("CA")
    assert twilio.voice(call_sid, to=forwarded_number.number).status_code == 200
    # The provider's call started on a past day (moved there behind the signals' back), whose
    # aggregate is then folded: only the status callback's mark can bring it up to date.
    Call.objects.for_client(acme).filter(external_id=call_sid).update(started_at=PAST)
    DirtyDay.objects.for_client(acme).delete()
    aggregates_fold(client=acme)
    assert not DailyAggregate.objects.for_client(acme).exists()
    assert twilio.dial_status(call_sid, "completed", 63).status_code == 200
    assert twilio.status(call_sid, "completed", 80).status_code == 200
    # The mark committed with the outcome, then its fold ran (eager Celery in the tests).
    aggregates_fold(client=acme)
    row = DailyAggregate.objects.for_client(acme).get()
    assert (row.day, row.status, row.answered_seconds) == (PAST.date(), CallStatus.ANSWERED, 63)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_an_ingestion_and_its_mark_are_one_query_and_no_transaction_of_ours(
    acme, acme_number
):
    def ingest(external_id: str, started_at: dt.datetime) -> None:
        call_ingest(
            client=acme,
            external_id=external_id,
            tracking_number=acme_number.number,
            caller_number="+33612345678",
            status="answered",
            started_at=started_at,
        )

    ingest("warm", PAST)  # the connection prepares the statement once
    assert marked_days(acme) == []  # the past day's fold ran after the commit (eager Celery)
    with CaptureQueriesContext(connection) as queries:
        ingest("x", timezone.now())  # today's first call: marked, its fold waits for tomorrow
    assert [query["sql"].split(" (")[0] for query in queries] == [
        "EXECUTE dexem_call_ingest_marked"
    ]
    assert not connection.in_atomic_block
    assert marked_days(acme) == [timezone.localdate(timezone=acme.tzinfo)]
