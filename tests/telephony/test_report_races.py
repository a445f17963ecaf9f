"""Reports on one call arriving together (threads against the database, as gunicorn's workers
send them): whatever their order, the Call ends with the outcome its provider call's facts give."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from calls.models import Call
from telephony import services
from telephony.models import ProviderCall
from telephony.providers import base
from tests.telephony.conftest import sid

# PostgreSQL: the in-memory SQLite test database is one connection, so threads cannot race on it
# (SQLite applies reports in an IMMEDIATE transaction, one writer at a time).
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CALLS = 12
# (dial outcome, its duration, final status, its duration): each pair changes the outcome.
RACES = [
    (base.ANSWERED, 70, base.COMPLETED, 90),
    (base.BUSY, None, base.COMPLETED, 5),
    (base.NO_ANSWER, None, base.FAILED, 0),
    (base.ANSWERED, 30, base.BUSY, 0),
]


def _together(*work: Callable[[], None]) -> None:
    barrier = threading.Barrier(len(work))
    failures: list[BaseException] = []

    def run(step: Callable[[], None]) -> None:
        try:
            barrier.wait()
            step()
        except BaseException as error:  # reported by the test, not lost in the thread
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(step,)) for step in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures


@pytest.mark.parametrize(("dial", "dial_seconds", "final", "final_seconds"), RACES)
def test_a_dial_status_and_a_final_status_arriving_together_leave_the_outcome_of_both(
    acme, forwarded_number, dial, dial_seconds, final, final_seconds
):
    call_ids = [sid("CA") for _ in range(CALLS)]
    for index, call_id in enumerate(call_ids):
        services.provider_call_start(
            client=acme,
            incoming=base.IncomingCall(
                call_id=call_id, called=forwarded_number.number, caller=f"+336123400{index:02d}"
            ),
            tracking_number=forwarded_number,
        )
    for call_id in call_ids:
        _together(
            lambda call_id=call_id: services.provider_call_dial_report(
                client=acme,
                report=base.DialReport(call_id=call_id, outcome=dial, duration=dial_seconds),
            ),
            lambda call_id=call_id: services.provider_call_status_report(
                client=acme,
                report=base.CallReport(call_id=call_id, status=final, duration=final_seconds),
            ),
        )
    for call_id in call_ids:
        leg = ProviderCall.objects.for_client(acme).get(provider_call_id=call_id)
        call = Call.objects.for_client(acme).get(external_id=call_id)
        assert (leg.dial_status, leg.call_status) == (dial, final)
        assert (call.status, call.duration_seconds) == services.provider_call_outcome(leg)


def test_a_retried_status_sets_an_outcome_its_first_attempt_left_behind(acme, acme_number):
    """On PostgreSQL the facts and the Call's outcome are stored in two transactions: an attempt
    that failed between them (a worker killed, the database gone) left the facts without the
    outcome. The provider's retry changes no fact, and still sets the outcome from them."""
    call_id = sid("CA")
    services.provider_call_start(
        client=acme,
        incoming=base.IncomingCall(call_id=call_id, called=acme_number.number, caller=None),
        tracking_number=acme_number,
    )
    ProviderCall.objects.for_client(acme).filter(provider_call_id=call_id).update(
        call_status=base.BUSY, call_duration=0
    )
    assert Call.objects.for_client(acme).get(external_id=call_id).status == "missed"
    services.provider_call_status_report(
        client=acme, report=base.CallReport(call_id=call_id, status=base.BUSY, duration=0)
    )
    assert Call.objects.for_client(acme).get(external_id=call_id).status == "busy"
