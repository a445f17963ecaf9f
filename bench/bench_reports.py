"""Reports at scale (issue 18): the dashboard from the daily aggregates.

- The 12-month dashboard of a Client with 5,000,000 calls (beside 1M calls of other Clients)
  from the aggregates, against reading the same aggregate rows and nothing else (goal ≤ 1.5),
  and against the same dashboard of a 50,000-call Client (goal ≤ 1.2: the cost follows the days
  shown, not the calls). The scan of the calls (the "before") is measured beside it.
- Ingestion with the aggregates' upkeep (the day's mark) against the same ingestion service with
  reports' receiver disconnected (goal ≥ 0.9, calls per second). Against the bare statement it
  also paid attribution's matching, which runs after every ingestion since issue 17.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import connection
from django.utils import timezone

from bench.dataset import (
    FIVE_MILLION_SLUG,
    ensure_calls,
    ensure_export_client,
    ensure_today_in_full,
)
from bench.harness import (
    Result,
    alternate,
    rounds,
    scaled,
    seconds_of,
    settle,
)

BIG, SMALL = FIVE_MILLION_SLUG, "bench-reports-small"
BIG_CALLS, SMALL_CALLS = scaled(5_000_000, 50_000), scaled(50_000, 5_000)
REPEATS, WARMUP = 31, 3
BATCH = 10  # dashboards a measure, alternated one by one with the other sides' (harness.rounds)
SCAN_REPEATS = 5  # seconds each at 5M calls
INGEST_ROUNDS, INGEST_BATCH = 9, 400


def _client(slug: str):
    from accounts.models import Client

    return Client.objects.get(slug=slug)


def _today_calls(client) -> int:
    from calls.models import Call

    today = timezone.localdate(timezone=client.tzinfo)
    low = dt.datetime.combine(today, dt.time.min, tzinfo=client.tzinfo)
    return (
        Call.objects.for_client(client)
        .filter(started_at__gte=low, started_at__lt=low + dt.timedelta(days=1))
        .count()
    )


def _facts_complete(client) -> bool:
    """Give the data set what the aggregates count beside calls: each Contact's earliest call a
    first-time call, and a third of the calls (those of the first number, the site's pool)
    attributed to one of two channels and two campaigns. Returns whether anything was added."""
    added = False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM calls_call WHERE client_id = %s AND is_first_call)",
            [client.pk],
        )
        if not cursor.fetchone()[0]:
            cursor.execute(
                """
                UPDATE calls_call SET is_first_call = true WHERE id IN (
                    SELECT DISTINCT ON (contact_id) id FROM calls_call
                    WHERE client_id = %s AND contact_id IS NOT NULL
                    ORDER BY contact_id, started_at, id)
                """,
                [client.pk],
            )
            added = True
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM attribution_callattribution WHERE client_id = %s)",
            [client.pk],
        )
        if not cursor.fetchone()[0]:
            cursor.execute(
                """
                INSERT INTO attribution_callattribution
                    (call_id, client_id, visit_id, channel, source, medium, campaign, term,
                     content, landing_path, referrer_host, click_id_kind, click_id, ambiguous,
                     matched_at)
                SELECT c.id, c.client_id, NULL,
                       (ARRAY['paid_search', 'social'])[1 + (c.duration_seconds %% 2)],
                       'google', 'cpc',
                       (ARRAY['spring', 'autumn'])[1 + (c.duration_seconds / 7 %% 2)],
                       '', '', '/', '', '', '', false, now()
                FROM calls_call c
                WHERE c.client_id = %s AND c.tracking_number_id = (
                    SELECT id FROM calls_trackingnumber WHERE client_id = %s ORDER BY number LIMIT 1)
                """,
                [client.pk, client.pk],
            )
            # The calls get their copy of it from the rebuild that follows (run() rebuilds
            # whenever something was added), as rebuild_aggregates gives it in production.
            added = True
    return added


def _dashboard_rows(big, small, period, today_calls: dict[str, int]) -> list[Result]:
    from calls.selectors import Period, dashboard_summary, dashboard_summary_scan
    from reports.selectors import aggregate_rows_queryset

    summary = dashboard_summary(client=big, period=period)
    assert summary == dashboard_summary_scan(client=big, period=period), "aggregates ≠ scan"
    calls = summary["totals"]["calls"]
    small_calls = dashboard_summary(client=small, period=period)["totals"]["calls"]

    def rows_alone() -> None:
        list(
            aggregate_rows_queryset(client=big, period=period).values_list(
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
        )

    # The same 365 days ending yesterday: only folded days, none of today's calls read.
    past = Period(
        first_day=period.first_day - dt.timedelta(days=1),
        last_day=period.last_day - dt.timedelta(days=1),
    )
    measured = rounds(
        {
            "ours": seconds_of(lambda: dashboard_summary(client=big, period=period)),
            "past": seconds_of(lambda: dashboard_summary(client=big, period=past)),
            "rows": seconds_of(rows_alone),
            "small": seconds_of(lambda: dashboard_summary(client=small, period=period)),
        },
        repeats=REPEATS,
        warmup=WARMUP,
        batch=BATCH,
    )
    # The scan apart, after: alternated with the others, its read of millions of calls pushed
    # their pages out of PostgreSQL's buffers before each of their turns.
    measured |= rounds(
        {"scan": seconds_of(lambda: dashboard_summary_scan(client=big, period=period))},
        repeats=SCAN_REPEATS,
        warmup=1,
    )
    ms = {name: samples.map(lambda s: s * 1000) for name, samples in measured.items()}
    note = (
        f"{REPEATS} rounds of {BATCH} dashboards a side, alternated one by one, after {WARMUP} "
        "warm-up rounds; answers checked equal to the scan"
    )
    today_note = (
        f"today holds {today_calls[big.slug]:,} calls of the big Client and "
        f"{today_calls[small.slug]:,} of the small one, a whole day's share at any hour of the run"
    )
    return [
        Result.measured(
            name=f"dashboard, 12 months from the aggregates ({calls:,} calls) vs its aggregate rows alone",
            ours=ms["ours"],
            limit=ms["rows"],
            unit="ms",
            goal="≤ 1.5",
            higher_is_better=False,
            notes=[note, today_note],
            paired=True,
        ),
        Result.measured(
            name="the same 365 days ending yesterday (folded days only, no call of today read) "
            "vs the aggregate rows alone",
            ours=ms["past"],
            limit=ms["rows"],
            unit="ms",
            goal="(where the time goes)",
            higher_is_better=False,
            notes=[note, "the rest of the 12-month dashboard's time is reading today's calls"],
            paired=True,
        ),
        Result.measured(
            name=f"dashboard, 12 months from the aggregates: {calls:,} calls vs {small_calls:,}",
            ours=ms["ours"],
            limit=ms["small"],
            unit="ms",
            goal="≤ 1.2",
            higher_is_better=False,
            notes=[note, today_note, "the cost follows the days shown, not the calls"],
            paired=True,
        ),
        Result.measured(
            name=f"dashboard, 12 months: the scan of {calls:,} calls (before) vs the aggregates",
            ours=ms["scan"],
            limit=ms["ours"],
            unit="ms",
            goal="(before)",
            higher_is_better=False,
            notes=[
                f"the scan: median of {SCAN_REPEATS}, measured after the others",
                "how much the aggregates save; no goal",
            ],
        ),
    ]


def _ingestion_row(client) -> Result:
    from calls.services import call_ingest
    from calls.signals import calls_changed
    from reports.receivers import on_calls_changed

    number = client.tracking_numbers.order_by("number").first().number
    # Calls of the moment, as they arrive: today's mark is made once, then found.
    moment = timezone.now()

    def with_upkeep() -> None:
        for _ in range(INGEST_BATCH):
            call_ingest(
                client=client,
                external_id=f"bench-r-{uuid.uuid4()}",
                tracking_number=number,
                caller_number="+33600000001",
                status="answered",
                started_at=moment,
                duration_seconds=30,
            )

    def without() -> None:
        # The same service with reports' receiver of calls_changed disconnected: what the
        # aggregates' upkeep costs, and nothing else (attribution's matching runs on both sides).
        calls_changed.disconnect(dispatch_uid="reports.calls_changed")
        try:
            with_upkeep()
        finally:
            calls_changed.connect(on_calls_changed, dispatch_uid="reports.calls_changed")

    ours, limit = alternate(with_upkeep, without, INGEST_ROUNDS, warmup=1)
    rate = lambda seconds: INGEST_BATCH / seconds  # noqa: E731
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM calls_call WHERE client_id = %s AND external_id LIKE 'bench-r-%%'",
            [client.pk],
        )
    return Result.measured(
        name="ingestion with the aggregates' upkeep vs without (reports' receiver disconnected)",
        ours=ours.map(rate),
        limit=limit.map(rate),
        unit="calls/s",
        goal="≥ 0.9",
        higher_is_better=True,
        notes=[
            f"{INGEST_BATCH} calls a round, {INGEST_ROUNDS} rounds alternated, one connection, "
            "calls of the moment (a past day's first call also queues a fold, 5 s later)"
        ],
        paired=True,
    )


def run() -> list[Result]:
    from calls.selectors import Period
    from reports.models import DailyAggregate
    from reports.services import aggregates_fold, aggregates_rebuild

    ensure_calls(scaled(1_000_000, 10_000))
    ensure_export_client(BIG_CALLS, slug=BIG)
    ensure_export_client(SMALL_CALLS, slug=SMALL)
    big, small = _client(BIG), _client(SMALL)
    today_calls = {}
    for client, total in ((big, BIG_CALLS), (small, SMALL_CALLS)):
        if _facts_complete(client) or not DailyAggregate.objects.for_client(client).exists():
            print(f"   rebuilding the aggregates of {client.slug} …", flush=True)
            aggregates_rebuild(client=client)
        # The days over since the last run (the calls added to them then): folded as the beat
        # folds them. Today's mark stays until the day is over.
        aggregates_fold(client=client)
        ensure_today_in_full(client.slug, total)
        today_calls[client.slug] = _today_calls(client)
    settle(
        "calls_call",
        "attribution_callattribution",
        "reports_dailyaggregate",
        "reports_dirtyday",
    )
    today = timezone.localdate(timezone=big.tzinfo)
    period = Period(first_day=today - dt.timedelta(days=364), last_day=today)
    results = _dashboard_rows(big, small, period, today_calls)
    results.append(_ingestion_row(small))
    return results
