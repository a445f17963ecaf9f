"""Visits without a call go after VISIT_RETENTION_DAYS (the fifth retention job); erasing a
Contact erases the visits behind its calls (SPEC §13)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from attribution.models import CallAttribution, Lease, Visit
from attribution.services import VisitInput, call_match, visit_lease
from calls import selectors as call_selectors
from calls.models import Call
from calls.selectors import Period
from privacy.erasure import contact_erase_across_clients
from reports.models import DirtyDay
from reports.services import aggregates_fold
from retention.models import RetentionJob, RetentionRun
from retention.services import run_job
from tests.factories import CallFactory, ContactFactory


def _visit_with_call(client, *, at, phone="+33612345678"):
    answer = visit_lease(
        client=client, data=VisitInput(consent=True, utm_campaign="spring"), now=at
    )
    lease = Lease.objects.for_client(client).latest("id")
    contact = ContactFactory(client=client, phone_number=phone)
    call = CallFactory(
        client=client,
        contact=contact,
        tracking_number=lease.tracking_number,
        started_at=at + dt.timedelta(minutes=1),
    )
    call_match(call_id=call.pk, client_id=client.pk)
    return answer, call


def test_the_visits_job_deletes_old_visits_without_a_call_and_keeps_the_others(acme, acme_pool):
    now = timezone.now()
    old = now - dt.timedelta(days=31)
    visit_lease(client=acme, data=VisitInput(consent=True), now=old)
    visit_lease(client=acme, data=VisitInput(consent=True), now=now - dt.timedelta(days=29))
    Visit.objects.for_client(acme).update(last_seen_at=old)
    Visit.objects.for_client(acme).filter(
        pk=Lease.objects.for_client(acme).latest("id").visit_id
    ).update(last_seen_at=now - dt.timedelta(days=29))
    _, call = _visit_with_call(acme, at=old)
    Visit.objects.for_client(acme).filter(attributions__call_id=call.pk).update(last_seen_at=old)

    dry = run_job(RetentionJob.VISITS, dry_run=True)
    assert dry.counts == {"visits": 1}
    assert Visit.objects.for_client(acme).count() == 3

    run = run_job(RetentionJob.VISITS)
    assert run.counts["visits"] == 1
    assert Visit.objects.for_client(acme).count() == 2
    assert CallAttribution.objects.for_client(acme).filter(call=call).exists()
    assert Lease.objects.for_client(acme).count() == 2
    assert RetentionRun.objects.filter(job="visits", status="done", dry_run=False).count() == 1


def test_the_visits_job_sweeps_attributions_whose_call_was_purged(acme, acme_pool):
    _, call = _visit_with_call(acme, at=timezone.now())
    # The calls purge deletes in raw batches and knows nothing of attributions.
    Call.objects.for_client(acme).filter(pk=call.pk)._raw_delete(using="default")
    run = run_job(RetentionJob.VISITS)
    assert run.counts["attributions"] == 1
    assert not CallAttribution.objects.for_client(acme).exists()


def test_purge_expired_runs_the_visits_job(acme, acme_pool, capsys):
    call_command("purge_expired", "--only", "visits", "--dry-run")
    assert "visits" in capsys.readouterr().out


def test_erasing_a_contact_erases_the_visits_behind_its_calls(acme, acme_pool, globex):
    _, call = _visit_with_call(acme, at=timezone.now(), phone="+33699999999")
    _, kept = _visit_with_call(acme, at=timezone.now(), phone="+33688888888")
    assert Call.objects.for_client(acme).get(pk=call.pk).attributed_campaign == "spring"
    contact_erase_across_clients(phone="+33699999999")
    assert not CallAttribution.objects.for_client(acme).filter(call=call).exists()
    assert CallAttribution.objects.for_client(acme).filter(call=kept).exists()
    # The erased caller's call is no longer attributed; the other keeps its channel and campaign.
    erased, other = (Call.objects.for_client(acme).get(pk=one.pk) for one in (call, kept))
    assert (erased.attributed_channel, erased.attributed_campaign) == ("", None)
    assert other.attributed_campaign == "spring" and other.attributed_channel
    assert Visit.objects.for_client(acme).count() == 1
    assert Lease.objects.for_client(acme).count() == 1


def test_the_privacy_centre_explains_the_consent_modes(as_user, acme_analyst):
    page = as_user(acme_analyst).get("/privacy/").content.decode()
    assert 'id="consent-modes"' in page
    assert "sessionStorage" in page and "30 days" in page


@pytest.mark.django_db(transaction=True)
def test_erasing_the_caller_of_a_past_days_attributed_call_keeps_the_aggregates_in_step(
    acme, acme_pool, settings
):
    """The erasure marks the call's past day, whose fold runs once that commits (eagerly here):
    the fold must find the call no longer attributed, as the scan of the calls does."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    _visit_with_call(acme, at=timezone.now() - dt.timedelta(days=3), phone="+33699999999")
    aggregates_fold(client=acme)
    contact_erase_across_clients(phone="+33699999999")
    today = timezone.localdate(timezone=acme.tzinfo)
    assert not DirtyDay.objects.for_client(acme).filter(day__lt=today).exists()  # folded
    period = Period(first_day=today - dt.timedelta(days=5), last_day=today)
    assert call_selectors.dashboard_summary(
        client=acme, period=period
    ) == call_selectors.dashboard_summary_scan(client=acme, period=period)
