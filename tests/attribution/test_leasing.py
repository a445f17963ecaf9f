"""Leases: 30 minutes after the last renewal, least recently used first, shared (ambiguous)
when the pool is exhausted, never held by two visits at once (SPEC §13)."""

from __future__ import annotations

import datetime as dt
import threading
from itertools import combinations

import pytest
from django.db import connection, connections

from attribution.models import CallAttribution, Lease, Visit
from attribution.services import LEASE, VisitInput, call_match, visit_lease
from calls.models import Call
from tests.factories import CallFactory

T0 = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


def _lease(client, *, token="", at=T0, **fields):
    return visit_lease(client=client, data=VisitInput(consent=True, visit=token, **fields), now=at)


def test_visits_get_distinct_numbers_until_the_pool_is_exhausted(acme, acme_pool):
    answers = [_lease(acme, at=T0 + dt.timedelta(seconds=i)) for i in range(3)]
    assert len({answer.number for answer in answers}) == 3
    assert not Lease.objects.for_client(acme).filter(ambiguous=True).exists()


def test_an_exhausted_pool_shares_the_least_recently_used_number_and_marks_its_visits(
    acme, acme_pool
):
    first = _lease(acme, at=T0)
    second = _lease(acme, at=T0 + dt.timedelta(seconds=1))
    _lease(acme, at=T0 + dt.timedelta(seconds=2))
    # The first visit renews: the second's number is now the least recently used.
    _lease(acme, token=first.visit_token, at=T0 + dt.timedelta(seconds=3))
    fourth = _lease(acme, at=T0 + dt.timedelta(seconds=4))
    assert fourth.number == second.number
    ambiguous = Visit.objects.for_client(acme).filter(ambiguous=True)
    assert ambiguous.count() == 2
    assert Lease.objects.for_client(acme).filter(ambiguous=True).count() == 2


def test_a_renewal_a_microsecond_before_the_end_keeps_the_number(acme, acme_pool):
    first = _lease(acme, at=T0)
    end = T0 + LEASE
    renewed = _lease(acme, token=first.visit_token, at=end - dt.timedelta(microseconds=1))
    assert renewed.number == first.number
    assert Lease.objects.for_client(acme).count() == 1
    assert (
        Lease.objects.for_client(acme).get().ends_at == end - dt.timedelta(microseconds=1) + LEASE
    )


def test_a_renewal_at_the_end_starts_a_new_lease_and_the_number_may_go_to_another_visit(
    acme, acme_pool
):
    first = _lease(acme, at=T0)
    end = T0 + LEASE
    # Others hold the other two numbers; the first one's lease has just ended.
    second = _lease(acme, at=T0 + dt.timedelta(seconds=1))
    _lease(acme, at=T0 + dt.timedelta(seconds=2))
    newcomer = _lease(acme, at=end)
    assert newcomer.number == first.number  # free again, and the least recently used
    late = _lease(acme, token=first.visit_token, at=end)
    # The same visit, but a new lease: every number is held, so the least recently used one
    # (the second visit's) is shared, both marked ambiguous.
    assert late.visit_token == first.visit_token
    assert late.number == second.number
    assert Lease.objects.for_client(acme).count() == 5
    assert Lease.objects.for_client(acme).filter(ambiguous=True).count() == 2


def test_a_call_at_the_last_microsecond_of_a_lease_matches_and_at_its_end_does_not(
    acme, acme_pool, django_capture_on_commit_callbacks
):
    _lease(acme, at=T0, utm_campaign="spring", utm_medium="cpc")
    lease = Lease.objects.for_client(acme).get()
    number = lease.tracking_number
    inside = CallFactory(
        client=acme, tracking_number=number, started_at=lease.ends_at - dt.timedelta(seconds=1)
    )
    at_end = CallFactory(client=acme, tracking_number=number, started_at=lease.ends_at)
    before = CallFactory(
        client=acme, tracking_number=number, started_at=T0 - dt.timedelta(microseconds=1)
    )
    assert call_match(call_id=inside.pk, client_id=acme.pk) is True
    assert call_match(call_id=at_end.pk, client_id=acme.pk) is False
    assert call_match(call_id=before.pk, client_id=acme.pk) is False
    attribution = CallAttribution.objects.for_client(acme).get()
    assert (attribution.call_id, attribution.campaign) == (inside.pk, "spring")
    assert attribution.channel == "paid_search" and not attribution.ambiguous
    # Matched again after the call moved out of the lease: the attribution goes.
    Call.objects.for_client(acme).filter(pk=inside.pk).update(started_at=lease.ends_at)
    assert call_match(call_id=inside.pk, client_id=acme.pk) is False
    assert not CallAttribution.objects.for_client(acme).exists()


def test_a_call_on_a_shared_number_is_attributed_to_the_latest_visit_and_marked_ambiguous(
    acme, acme_pool
):
    for i in range(4):  # three numbers: the fourth visit shares the first one's
        _lease(acme, at=T0 + dt.timedelta(seconds=i), utm_campaign=f"c{i}")
    shared = Lease.objects.for_client(acme).get(visit__utm_campaign="c3").tracking_number
    call = CallFactory(client=acme, tracking_number=shared, started_at=T0 + dt.timedelta(minutes=5))
    assert call_match(call_id=call.pk, client_id=acme.pk) is True
    attribution = CallAttribution.objects.for_client(acme).get(call=call)
    assert (attribution.campaign, attribution.ambiguous) == ("c3", True)


def _overlaps(leases: list[Lease]) -> list[tuple[int, int]]:
    clashes = []
    for a, b in combinations(leases, 2):
        if a.tracking_number_id != b.tracking_number_id or a.ambiguous or b.ambiguous:
            continue
        if a.starts_at < b.ends_at and b.starts_at < a.ends_at:
            clashes.append((a.pk, b.pk))
    return clashes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_64_concurrent_visitors_on_a_pool_of_10_never_share_a_number_unmarked():
    from accounts.models import Client
    from attribution.services import website_update
    from calls.services import tracking_number_create

    assert connection.vendor == "postgresql"
    client = Client.objects.create(name="Busy", slug="busy")
    for i in range(10):
        tracking_number_create(
            client=client, number=f"+331848002{i:02d}", source="Website", pool=True
        )
    website_update(client=client, allowed_origins=["https://busy.example"], default_number=None)
    barrier = threading.Barrier(64)
    tokens: list[str] = []
    errors: list[BaseException] = []

    def visitor(index: int) -> None:
        try:
            barrier.wait()
            answer = visit_lease(client=client, data=VisitInput(consent=True))
            tokens.append(answer.visit_token or "")
            # Half of them renew at once, racing the newcomers.
            if index % 2:
                visit_lease(client=client, data=VisitInput(consent=True, visit=answer.visit_token))
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(64)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(tokens)) == 64 and all(tokens)
    leases = list(Lease.objects.for_client(client))
    assert len(leases) == 64  # renewals extended their lease, made no new one
    assert _overlaps(leases) == []
    clear = [lease for lease in leases if not lease.ambiguous]
    assert len({lease.tracking_number_id for lease in clear}) == len(clear) <= 10
    assert Visit.objects.for_client(client).filter(ambiguous=True).count() >= 54


def test_a_deactivated_pool_number_is_never_handed_out(acme, acme_pool):
    from calls.services import tracking_number_set_active

    first = _lease(acme, at=T0 - LEASE - LEASE)  # every pool number has its lease state now
    gone = next(number for number in acme_pool if number.number == first.number)
    tracking_number_set_active(tracking_number=gone, active=False)
    numbers = {_lease(acme, at=T0 + dt.timedelta(seconds=i)).number for i in range(4)}
    assert numbers == {number.number for number in acme_pool} - {gone.number}


def test_a_number_added_to_the_pool_is_used_before_any_is_shared(acme, acme_pool):
    from calls.services import tracking_number_create

    for i in range(3):
        _lease(acme, at=T0 + dt.timedelta(seconds=i))
    added = tracking_number_create(client=acme, number="+33184800199", source="Web", pool=True)
    fourth = _lease(acme, at=T0 + dt.timedelta(seconds=5))
    assert fourth.number == added.number
    assert not Lease.objects.for_client(acme).filter(ambiguous=True).exists()
