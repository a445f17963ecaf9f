"""Matching costs an ingestion nothing when it cannot match (a new call on a number outside the
pool: told by the signal, no query) and one query when it may (the statement, after the commit)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from attribution.matching import _STATEMENT as MATCH_STATEMENT
from attribution.models import CallAttribution, Lease, PoolNumber, Visit
from attribution.services import VisitInput, call_match, visit_lease
from calls.models import Call
from calls.signals import call_ingested
from tests.attribution.conftest import SPRING

ATTRIBUTION_TABLES = tuple(
    model._meta.db_table for model in (CallAttribution, Lease, PoolNumber, Visit)
)


def attribution_queries(queries: CaptureQueriesContext) -> list[str]:
    return [
        query["sql"]
        for query in queries
        if MATCH_STATEMENT in query["sql"] or any(t in query["sql"] for t in ATTRIBUTION_TABLES)
    ]


def post_call(api, number: str, external_id: str = "x", **overrides):
    body = {
        "external_id": external_id,
        "tracking_number": number,
        "caller_number": "+33612345678",
        "status": "answered",
        "started_at": (timezone.now() + dt.timedelta(minutes=1)).isoformat(),
        **overrides,
    }
    return api.post("/api/v1/calls/", body, format="json")


def test_it_runs_no_attribution_query_for_a_new_call_on_a_number_outside_the_pool(
    acme, acme_pool, acme_api, django_capture_on_commit_callbacks
):
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        assert post_call(acme_api, "+33184800200").status_code == 201  # the newsletter's
    assert callbacks, "call_ingested was sent"
    assert attribution_queries(queries) == []


def test_the_signal_tells_whether_the_call_is_new_and_its_number_in_the_pool(
    acme, acme_pool, acme_api, django_capture_on_commit_callbacks
):
    seen = []

    def record(**kwargs):
        seen.append((kwargs["created"], kwargs["pool"]))

    call_ingested.connect(record, dispatch_uid="test.record_pool")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            post_call(acme_api, "+33184800200", external_id="static")
            post_call(acme_api, acme_pool[0].number, external_id="pooled")
            post_call(acme_api, acme_pool[0].number, external_id="pooled", status="missed")
    finally:
        call_ingested.disconnect(dispatch_uid="test.record_pool")
    assert seen == [(True, False), (True, True), (False, True)]


def test_a_call_on_a_pool_number_is_matched_in_one_query(
    acme, acme_pool, acme_api, django_capture_on_commit_callbacks
):
    visit_lease(client=acme, data=VisitInput(consent=True, landing_url="/", **SPRING))
    number = Lease.objects.for_client(acme).get().tracking_number.number
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        call = post_call(acme_api, number).json()
    assert CallAttribution.objects.for_client(acme).get(call_id=call["id"]).campaign == "spring"
    if connection.vendor == "postgresql":  # SQLite (development) runs the ORM's queries
        assert len(attribution_queries(queries)) == 1


def test_a_call_moved_off_the_pool_loses_its_attribution(
    acme, acme_pool, acme_api, django_capture_on_commit_callbacks
):
    visit_lease(client=acme, data=VisitInput(consent=True, landing_url="/", **SPRING))
    number = Lease.objects.for_client(acme).get().tracking_number.number
    with django_capture_on_commit_callbacks(execute=True):
        call = post_call(acme_api, number).json()
    assert CallAttribution.objects.for_client(acme).filter(call_id=call["id"]).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert post_call(acme_api, "+33184800200").status_code == 200  # a retry, corrected
    assert not CallAttribution.objects.for_client(acme).filter(call_id=call["id"]).exists()
    stored = Call.objects.for_client(acme).get(pk=call["id"])
    assert (stored.attributed_channel, stored.attributed_campaign) == ("", None)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_matching_after_the_commit_is_one_round_trip_without_a_transaction_of_ours(
    acme, acme_pool
):
    from tests.factories import CallFactory

    visit_lease(client=acme, data=VisitInput(consent=True, landing_url="/", **SPRING))
    lease = Lease.objects.for_client(acme).get()
    call = CallFactory(
        client=acme,
        tracking_number=lease.tracking_number,
        started_at=lease.starts_at + dt.timedelta(minutes=1),
    )
    call_match(call_id=call.pk, client_id=acme.pk)  # the connection prepares the statement
    with CaptureQueriesContext(connection) as queries:
        assert call_match(call_id=call.pk, client_id=acme.pk) is True
    # One query: the commit's setting, the lock that makes matches of one call take turns,
    # the statement.
    assert len(queries) == 1
    sql = queries[0]["sql"]
    assert sql.startswith("SET LOCAL synchronous_commit TO OFF; SELECT pg_advisory_xact_lock(")
    assert f"; EXECUTE {MATCH_STATEMENT} (" in sql
    assert CallAttribution.objects.for_client(acme).get(call=call).campaign == "spring"


def test_a_call_moved_into_another_visits_lease_carries_that_visits_channel_and_campaign(
    acme, acme_pool, acme_api, django_capture_on_commit_callbacks
):
    number, now = acme_pool[0], timezone.now()
    starts = {"spring": now - dt.timedelta(hours=2), "autumn": now - dt.timedelta(hours=1)}
    for (channel, campaign), token in zip(
        (("paid_search", "spring"), ("social", "autumn")), ("a" * 64, "b" * 64), strict=True
    ):
        visit = Visit.objects.create(
            client=acme, token_hash=token, channel=channel, utm_campaign=campaign
        )
        Lease.objects.create(
            client=acme,
            visit=visit,
            tracking_number=number,
            starts_at=starts[campaign],
            ends_at=starts[campaign] + dt.timedelta(minutes=30),
        )
    for campaign, channel in (("spring", "paid_search"), ("autumn", "social")):
        # The provider's retry corrects the call's start: it now falls in the other visit's lease.
        moment = (starts[campaign] + dt.timedelta(minutes=5)).isoformat()
        with django_capture_on_commit_callbacks(execute=True):
            response = post_call(acme_api, number.number, external_id="moved", started_at=moment)
        assert response.status_code in (200, 201)
        call = Call.objects.for_client(acme).get(external_id="moved")
        attribution = CallAttribution.objects.for_client(acme).get(call=call)
        assert (attribution.channel, attribution.campaign) == (channel, campaign)
        assert (call.attributed_channel, call.attributed_campaign) == (channel, campaign)
