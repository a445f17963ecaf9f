"""Two matches of one call at once (threads against PostgreSQL): the call's copy of its channel
and campaign always ends equal to its attribution, or empty without one."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django.utils import timezone

from attribution.models import CallAttribution, Lease
from attribution.services import VisitInput, call_match, visit_lease
from calls.models import Call
from calls.services import call_ingest
from calls.signals import call_ingested

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def unmatched_call(acme, acme_pool):
    """A call on a leased pool number, not matched yet (the test matches it itself)."""
    visit_lease(
        client=acme, data=VisitInput(consent=True, utm_source="google", utm_campaign="spring")
    )
    number = Lease.objects.for_client(acme).get().tracking_number.number
    receivers = call_ingested.receivers[:]
    call_ingested.receivers.clear()  # the test runs the matches itself, in the order it wants
    try:
        call, _ = call_ingest(
            client=acme,
            external_id="race",
            tracking_number=number,
            caller_number="+33612345670",
            status="answered",
            started_at=timezone.now() + dt.timedelta(seconds=5),
            duration_seconds=3,
        )
    finally:
        call_ingested.receivers[:] = receivers
        call_ingested.sender_receivers_cache.clear()
    return call


def _copy_matches_the_attribution(acme, call) -> None:
    stored = Call.objects.for_client(acme).get(pk=call.pk)
    attribution = CallAttribution.objects.for_client(acme).filter(call_id=call.pk).first()
    expected = ("", None) if attribution is None else (attribution.channel, attribution.campaign)
    assert (stored.attributed_channel, stored.attributed_campaign) == expected


def _while_held(holder: Callable[[], None], other: Callable[[], None]) -> None:
    """`holder` runs in a transaction kept open until `other` has been started and had time to
    block on it; then both finish."""
    held, release, failures = threading.Event(), threading.Event(), []

    def hold() -> None:
        try:
            with transaction.atomic():
                holder()
                held.set()
                release.wait(10)
        except BaseException as error:
            failures.append(error)
        finally:
            held.set()
            connection.close()

    def run() -> None:
        try:
            other()
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    first = threading.Thread(target=hold)
    first.start()
    assert held.wait(10)
    second = threading.Thread(target=run)
    second.start()
    second.join(0.5)  # blocked on the holder's lock, or done
    release.set()
    first.join()
    second.join()
    assert not failures, failures


def test_a_match_made_while_another_loses_the_lease_leaves_copy_and_attribution_alike(
    acme, unmatched_call
):
    assert call_match(call_id=unmatched_call.pk, client_id=acme.pk)

    def lose_the_lease() -> None:
        Lease.objects.for_client(acme).delete()
        assert not call_match(call_id=unmatched_call.pk, client_id=acme.pk)

    _while_held(lose_the_lease, lambda: call_match(call_id=unmatched_call.pk, client_id=acme.pk))
    _copy_matches_the_attribution(acme, unmatched_call)


def test_a_lease_lost_while_a_match_is_made_leaves_copy_and_attribution_alike(acme, unmatched_call):
    _while_held(
        lambda: call_match(call_id=unmatched_call.pk, client_id=acme.pk),
        lambda: (
            Lease.objects.for_client(acme).delete(),
            call_match(call_id=unmatched_call.pk, client_id=acme.pk),
        ),
    )
    _copy_matches_the_attribution(acme, unmatched_call)
