"""The daily aggregates stay equal to a rebuild from the calls, whatever happens to the calls."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Client
from attribution.models import CallAttribution, Lease, Visit
from attribution.services import call_match, contact_visits_erase
from calls import selectors as call_selectors
from calls.models import Call, CallStatus, Contact
from calls.selectors import Period
from calls.services import call_ingest, call_outcome_set, contact_erase
from reports.models import DailyAggregate, DirtyDay
from reports.services import aggregates_fold, aggregates_rebuild
from retention.models import RetentionJob
from retention.services import run_job
from tests.factories import ClientFactory, TrackingNumberFactory

NUMBERS = ("+33184800001", "+33184800002", "+33184800003")
POOL = ("+33184800101", "+33184800102")  # numbers leased to visits: their calls are attributed
# (channel, campaign) of the visits: a blank campaign is not the same as no attribution.
VISITS = (("paid_search", "spring"), ("email", ""), ("social", "spring"), ("direct", "autumn"))
CALLERS = ("+33612345601", "+33612345602", "+33612345603", "+33612345604", None)
ZONES = ("Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC", "Pacific/Auckland")
# Calls over ~100 days around the purge cutoff of NOW (24 months before it, SPEC §9).
FIRST = dt.datetime(2024, 10, 1, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def snapshot(client: Client) -> list[tuple]:
    rows = DailyAggregate.objects.for_client(client).values_list(
        "day",
        "tracking_number_id",
        "status",
        "channel",
        "campaign",
        "calls",
        "answered",
        "answered_seconds",
        "first_callers",
    )
    return sorted(rows, key=repr)


def unordered(stats: dict) -> dict:
    # Groups with as many calls may come in another order from the database than from Python.
    return {**stats, "results": sorted(stats["results"], key=repr)}


def whole_span(client: Client) -> Period:
    today = dt.date.today()
    return Period(first_day=dt.date(2024, 9, 1), last_day=today + dt.timedelta(days=1))


def assert_dashboard_matches_the_scan(client: Client, period: Period) -> None:
    ours = call_selectors.dashboard_summary(client=client, period=period)
    scan = call_selectors.dashboard_summary_scan(client=client, period=period)
    for summary in (ours, scan):
        for dimension in summary["by_dimension"]:
            dimension["rows"].sort(key=repr)
    assert ours == scan


def assert_reads_match_the_scan(client: Client) -> None:
    client.refresh_from_db()
    period = whole_span(client)
    for group_by in ("day", "status", "tracking_number", "channel", "campaign"):
        assert unordered(
            call_selectors.call_stats(client=client, period=period, group_by=group_by)
        ) == unordered(
            call_selectors.call_stats_scan(client=client, period=period, group_by=group_by)
        )
    assert_dashboard_matches_the_scan(client, period)


def lease_visits(client: Client, rng: random.Random) -> None:
    """Visits holding the pool numbers over the test's days, in turns of random length."""
    moment = FIRST - dt.timedelta(days=1)
    while moment < FIRST + dt.timedelta(days=102):
        channel, campaign = rng.choice(VISITS)
        visit = Visit.objects.create(
            client=client,
            token_hash=f"{client.slug}-{moment.timestamp()}",
            channel=channel,
            utm_campaign=campaign,
        )
        ends = moment + dt.timedelta(hours=rng.randrange(6, 72))
        Lease.objects.create(
            client=client,
            visit=visit,
            tracking_number=client.tracking_numbers.get(number=rng.choice(POOL)),
            starts_at=moment,
            ends_at=ends,
        )
        moment = ends


def random_moment(rng: random.Random) -> dt.datetime:
    # Near midnight on purpose: the local day then depends on the time zone.
    day = FIRST + dt.timedelta(days=rng.randrange(100))
    return day + dt.timedelta(hours=rng.choice((0, 1, 11, 22, 23)), minutes=rng.randrange(60))


def run_operations(client: Client, rng: random.Random, steps: int) -> None:
    ids: list[str] = []
    for step in range(steps):
        operation = rng.choices(
            ("ingest", "reingest", "outcome", "match", "erase", "purge", "time_zone", "fold"),
            weights=(10, 4, 4, 3, 1, 1, 1, 2),
        )[0]
        if operation == "ingest" or (operation in ("reingest", "outcome", "match") and not ids):
            ids.append(f"call-{step}")
            call, _ = call_ingest(
                client=client,
                external_id=ids[-1],
                tracking_number=rng.choice(NUMBERS + POOL),
                caller_number=rng.choice(CALLERS),
                status=rng.choice(CallStatus.values),
                started_at=random_moment(rng),
                duration_seconds=rng.randrange(0, 600),
            )
            # What call_ingested's receiver does once the ingestion commits.
            call_match(call_id=call.pk, client_id=client.pk)
        elif operation == "match":  # a call matched again: its lease may have gone since
            call = Call.objects.for_client(client).filter(external_id=rng.choice(ids)).first()
            if call is not None:
                if rng.random() < 0.5:
                    Lease.objects.for_client(client).filter(
                        starts_at__lte=call.started_at, ends_at__gt=call.started_at
                    ).delete()
                call_match(call_id=call.pk, client_id=client.pk)
        elif operation == "reingest":  # a retried ingestion: anything but the id may change
            call, _ = call_ingest(
                client=client,
                external_id=rng.choice(ids),
                tracking_number=rng.choice(NUMBERS + POOL),
                caller_number=rng.choice(CALLERS),
                status=rng.choice(CallStatus.values),
                started_at=random_moment(rng),
                duration_seconds=rng.randrange(0, 600),
            )
            call_match(call_id=call.pk, client_id=client.pk)
        elif operation == "outcome":  # a webhook's later status
            call_outcome_set(
                client=client,
                external_id=rng.choice(ids),
                status=rng.choice(CallStatus.values),
                duration_seconds=rng.randrange(0, 600),
            )
        elif operation == "erase":
            contact = Contact.objects.for_client(client).order_by("phone_number").first()
            if contact is not None:
                before = snapshot(client)
                # As privacy.erasure does: the calls' attributions (the visits) go first.
                contact_visits_erase(contact=contact)
                contact_erase(contact=contact)
                assert snapshot(client) == before  # the facts stay until the next fold
        elif operation == "purge":
            run_job(RetentionJob.CALLS, now=NOW + dt.timedelta(days=rng.randrange(25)))
        elif operation == "time_zone":
            client.time_zone = rng.choice(ZONES)
            client.save()
        else:
            aggregates_fold(client=client)


def assert_copies_match_the_attributions(client: Client) -> None:
    attributions = {
        call_id: (channel, campaign)
        for call_id, channel, campaign in CallAttribution.objects.for_client(client).values_list(
            "call_id", "channel", "campaign"
        )
    }
    for call_id, channel, campaign in Call.objects.for_client(client).values_list(
        "id", "attributed_channel", "attributed_campaign"
    ):
        assert (channel, campaign) == attributions.get(call_id, ("", None))


@pytest.mark.parametrize("seed", range(8))
def test_maintained_aggregates_equal_a_rebuild_after_any_mix_of_changes(db, seed):
    rng = random.Random(seed)
    client = ClientFactory(slug=f"prop-{seed}", time_zone=rng.choice(ZONES))
    other = ClientFactory(slug=f"other-{seed}")
    for number in NUMBERS:
        TrackingNumberFactory(client=client, number=number, source=f"Source {number[-1]}")
        TrackingNumberFactory(client=other, number=number, source="Elsewhere")
    for number in POOL:
        TrackingNumberFactory(client=client, number=number, source="Website", pool=True)
    lease_visits(client, rng)
    call_ingest(
        client=other,
        external_id="theirs",
        tracking_number=NUMBERS[0],
        caller_number=None,
        status="answered",
        started_at=FIRST + dt.timedelta(days=3),
        duration_seconds=50,
    )
    run_operations(client, rng, steps=80)
    # Every call carries its attribution's channel and campaign, or none without one.
    assert_copies_match_the_attributions(client)

    # Before the fold: the dirty days are read from the calls, so the answers are already exact.
    assert_reads_match_the_scan(client)
    aggregates_fold(client=client)
    assert not DirtyDay.objects.for_client(client).exists()
    assert_reads_match_the_scan(client)
    maintained = snapshot(client)
    assert maintained, "the mix left no call at all: the test would prove nothing"
    # The mix covers what the aggregates count: attributed calls, blank campaigns, first callers.
    assert {row[3] for row in maintained} > {""}
    assert sum(row[-1] for row in maintained) > 0
    theirs = snapshot(other)

    aggregates_rebuild(client=client)
    assert snapshot(client) == maintained
    assert snapshot(other) == theirs


def test_a_retried_ingestion_moves_the_call_between_days(acme, acme_number):
    first, second = (
        dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC),
        dt.datetime(2025, 3, 5, 10, tzinfo=dt.UTC),
    )
    for started_at, status in ((first, "answered"), (second, "missed")):
        call_ingest(
            client=acme,
            external_id="x",
            tracking_number=acme_number.number,
            caller_number=None,
            status=status,
            started_at=started_at,
            duration_seconds=30,
        )
    aggregates_fold(client=acme)
    rows = DailyAggregate.objects.for_client(acme).values_list("day", "status", "calls")
    assert list(rows) == [(dt.date(2025, 3, 5), "missed", 1)]


def test_a_new_time_zone_moves_calls_to_their_new_local_day(acme, acme_number):
    acme.time_zone = "Europe/Paris"
    acme.save()
    call_ingest(
        client=acme,
        external_id="late",
        tracking_number=acme_number.number,
        caller_number=None,
        status="answered",
        started_at=dt.datetime(2025, 3, 1, 23, 30, tzinfo=dt.UTC),  # 2 March in Paris
        duration_seconds=30,
    )
    aggregates_fold(client=acme)
    assert list(DailyAggregate.objects.for_client(acme).values_list("day", flat=True)) == [
        dt.date(2025, 3, 2)
    ]
    acme.time_zone = "America/New_York"
    acme.save()
    aggregates_fold(client=acme)
    assert list(DailyAggregate.objects.for_client(acme).values_list("day", flat=True)) == [
        dt.date(2025, 3, 1)
    ]


def test_the_purge_takes_the_aggregates_of_the_purged_days(acme, acme_number):
    old = dt.datetime(2024, 1, 10, 12, tzinfo=dt.UTC)
    for external_id, started_at in (("old", old), ("new", old + dt.timedelta(days=400))):
        call_ingest(
            client=acme,
            external_id=external_id,
            tracking_number=acme_number.number,
            caller_number=None,
            status="answered",
            started_at=started_at,
            duration_seconds=30,
        )
    aggregates_fold(client=acme)
    assert DailyAggregate.objects.for_client(acme).count() == 2
    run_job(RetentionJob.CALLS, now=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    aggregates_fold(client=acme)
    assert list(DailyAggregate.objects.for_client(acme).values_list("day", flat=True)) == [
        (old + dt.timedelta(days=400)).date()
    ]


def test_a_fold_runs_after_the_ingestion_commits(
    acme, acme_number, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_ingest(
            client=acme,
            external_id="x",
            tracking_number=acme_number.number,
            caller_number=None,
            status="answered",
            started_at=dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC),
            duration_seconds=30,
        )
    assert not DirtyDay.objects.for_client(acme).exists()
    assert DailyAggregate.objects.for_client(acme).get().answered_seconds == 30


def test_a_failed_ingestion_leaves_no_mark(acme, acme_number):
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017
        call_ingest(
            client=acme,
            external_id="x",
            tracking_number=acme_number.number,
            caller_number=None,
            status="answered",
            started_at=dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC),
            duration_seconds=30,
        )
        raise RuntimeError("after the ingestion")
    assert not DirtyDay.objects.for_client(acme).exists()
    assert not Call.objects.for_client(acme).exists()


def test_rebuild_aggregates_rebuilds_one_client_or_all(acme, acme_number, capsys):
    call_ingest(
        client=acme,
        external_id="x",
        tracking_number=acme_number.number,
        caller_number=None,
        status="answered",
        started_at=dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC),
        duration_seconds=30,
    )
    DailyAggregate.objects.for_client(acme).delete()
    DirtyDay.objects.for_client(acme).delete()
    call_command("rebuild_aggregates", "--client", "acme")
    assert "acme: 1 day(s)" in capsys.readouterr().out
    assert DailyAggregate.objects.for_client(acme).get().calls == 1


def test_rebuild_aggregates_refuses_an_unknown_client(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No Client"):
        call_command("rebuild_aggregates", "--client", "nobody")


def test_todays_mark_queues_no_fold_and_waits_for_the_end_of_the_day(
    acme, acme_number, django_capture_on_commit_callbacks
):
    def ingest(external_id: str) -> None:
        call_ingest(
            client=acme,
            external_id=external_id,
            tracking_number=acme_number.number,
            caller_number=None,
            status="answered",
            started_at=timezone.now(),
            duration_seconds=30,
        )

    with django_capture_on_commit_callbacks(execute=True):
        ingest("first")
    # The day's mark is made once: later calls of the day skip its statement.
    with CaptureQueriesContext(connection) as queries:
        ingest("second")
    assert not [query for query in queries if DirtyDay._meta.db_table in query["sql"]]
    assert aggregates_fold(client=acme) == 0
    assert DirtyDay.objects.for_client(acme).count() == 1
    assert not DailyAggregate.objects.for_client(acme).exists()
    today = timezone.localdate(timezone=acme.tzinfo)
    stats = call_selectors.call_stats(client=acme, period=Period(today, today), group_by="status")
    assert stats["totals"]["calls"] == 2


def test_the_periodic_fold_folds_every_clients_days_that_are_over(
    acme, acme_number, globex, globex_number
):
    from reports.tasks import aggregates_fold_all_task

    for client, number in ((acme, acme_number), (globex, globex_number)):
        call_ingest(
            client=client,
            external_id="x",
            tracking_number=number.number,
            caller_number=None,
            status="missed",
            started_at=dt.datetime(2025, 5, 1, 10, tzinfo=dt.UTC),
            duration_seconds=0,
        )
    assert aggregates_fold_all_task.delay().get() == 2
    assert not DirtyDay.objects.across_clients().exists()
    assert DailyAggregate.objects.across_clients().count() == 2


def test_a_callers_first_call_is_a_first_time_call_and_stays_so(acme, acme_number):
    def ingest(external_id: str, caller: str | None, status: str = "answered") -> Call:
        call, _ = call_ingest(
            client=acme,
            external_id=external_id,
            tracking_number=acme_number.number,
            caller_number=caller,
            status=status,
            started_at=dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC),
            duration_seconds=30,
        )
        return call

    ingest("first", "+33612345601")
    ingest("again", "+33612345601")
    ingest("other", "+33612345602")
    ingest("hidden", None)
    ingest("first", "+33612345601", status="missed")  # a retry decides nothing again
    flags = dict(Call.objects.for_client(acme).values_list("external_id", "is_first_call"))
    assert flags == {"first": True, "again": False, "other": True, "hidden": False}
    aggregates_fold(client=acme)
    assert sum(DailyAggregate.objects.for_client(acme).values_list("first_callers", flat=True)) == 2
    period = Period(dt.date(2025, 3, 1), dt.date(2025, 3, 1))
    summary = call_selectors.dashboard_summary(client=acme, period=period)
    assert summary["totals"]["first_time_callers"] == 2
    assert summary == call_selectors.dashboard_summary_scan(client=acme, period=period)


def test_the_dashboard_reads_the_aggregates_in_a_few_queries_whatever_the_period(acme, acme_number):
    for day in range(40):
        call_ingest(
            client=acme,
            external_id=f"call-{day}",
            tracking_number=acme_number.number,
            caller_number=None,
            status="answered",
            started_at=dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC) + dt.timedelta(days=day),
            duration_seconds=30,
        )
    aggregates_fold(client=acme)
    call_ingest(
        client=acme,
        external_id="today",
        tracking_number=acme_number.number,
        caller_number="+33612345601",
        status="missed",
        started_at=timezone.now(),
    )
    today = timezone.localdate(timezone=acme.tzinfo)
    for period in (Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31)), Period(FIRST.date(), today)):
        with CaptureQueriesContext(connection) as queries:
            summary = call_selectors.dashboard_summary(client=acme, period=period)
        assert summary == call_selectors.dashboard_summary_scan(client=acme, period=period)
        # One statement on PostgreSQL: the folded days' rows, today's and the dirty days' calls,
        # every figure at once (GROUPING SETS), after a probe of the dirty days.
        if connection.vendor == "postgresql":  # the dirty days, then the one statement
            assert len(queries) == 2
        else:  # the dirty days, the live calls, their numbers, a GROUP BY per grouping
            assert len(queries) <= 9
    assert summary["totals"] | {"avg_duration_seconds": 0} == {
        "calls": 41,
        "answered": 40,
        "missed": 1,
        "avg_duration_seconds": 0,
        "first_time_callers": 1,
    }


def test_rebuild_aggregates_first_puts_each_calls_attribution_back_on_it(acme, acme_number):
    """Calls matched by a version that did not copy (during an upgrade) and a copy left without
    its attribution: the rebuild corrects both, then counts them as the scan does."""
    started = timezone.now() - dt.timedelta(days=2)
    calls = [
        call_ingest(
            client=acme,
            external_id=f"upgrade-{index}",
            tracking_number=acme_number.number,
            caller_number=None,
            status="answered",
            started_at=started + dt.timedelta(minutes=index),
            duration_seconds=30,
        )[0]
        for index in range(3)
    ]
    for call, campaign in zip(calls[:2], ("spring", ""), strict=True):
        CallAttribution.objects.create(
            call=call, client=acme, channel="paid_search", source="google", campaign=campaign
        )
    Call.objects.for_client(acme).filter(pk=calls[2].pk).update(
        attributed_channel="social", attributed_campaign="autumn"
    )
    aggregates_rebuild(client=acme)
    assert_copies_match_the_attributions(acme)
    period = Period(first_day=started.date() - dt.timedelta(days=1), last_day=timezone.localdate())
    assert call_selectors.dashboard_summary(
        client=acme, period=period
    ) == call_selectors.dashboard_summary_scan(client=acme, period=period)


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "America/Los_Angeles", "Europe/Paris"])
def test_todays_calls_count_on_today_and_last_nights_on_yesterday_in_the_clients_time_zone(
    db, zone
):
    """A period ending today sums today's calls under one day (no conversion per call): the
    calls of late yesterday evening, local time, stay on yesterday wherever UTC puts them."""
    client = ClientFactory(slug=f"today-{zone.split('/')[-1].lower()}", time_zone=zone)
    TrackingNumberFactory(client=client, number=NUMBERS[0], source="Today")
    now = timezone.now()
    midnight = dt.datetime.combine(
        timezone.localdate(now, timezone=client.tzinfo), dt.time.min, tzinfo=client.tzinfo
    )
    moments = [
        midnight - dt.timedelta(minutes=30),  # last night, local time
        midnight - dt.timedelta(hours=23),
        midnight + (now - midnight) / 3,
        midnight + (now - midnight) / 2,
        now,
    ]
    for index, started_at in enumerate(moments):
        call_ingest(
            client=client,
            external_id=f"call-{index}",
            tracking_number=NUMBERS[0],
            caller_number=CALLERS[index % 4],
            status="answered" if index % 2 else "missed",
            started_at=started_at,
            duration_seconds=10 * index,
        )
    aggregates_fold(client=client)
    today = timezone.localdate(now, timezone=client.tzinfo)
    period = Period(first_day=today - dt.timedelta(days=7), last_day=today)
    by_day = call_selectors.call_stats(client=client, period=period, group_by="day")
    assert unordered(by_day) == unordered(
        call_selectors.call_stats_scan(client=client, period=period, group_by="day")
    )
    calls_by_day = {row["key"]: row["calls"] for row in by_day["results"]}
    assert calls_by_day[today.isoformat()] == 3
    assert calls_by_day[(today - dt.timedelta(days=1)).isoformat()] == 2
    assert_dashboard_matches_the_scan(client, period)
