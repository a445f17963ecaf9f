"""The dashboard's queries for one Client over 12 months, 1M calls across 1,000 Clients,
against the same answers written by hand in SQL (goal: at most 1.5x), as medians of
alternated repetitions."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone

from bench.dataset import ensure_calls, focus_client
from bench.harness import Result, alternate, peak_rss_mib, scaled, settle

TOTAL_CALLS = 1_000_000
REPEATS = 21
WARMUP = 3

HAND_WRITTEN = [
    """SELECT count(*), count(*) FILTER (WHERE status = 'answered'),
              avg(duration_seconds) FILTER (WHERE status = 'answered'),
              count(*) FILTER (WHERE is_first_call)
       FROM calls_call WHERE client_id = %(client)s AND started_at >= %(start)s AND started_at < %(end)s""",
    """SELECT (started_at AT TIME ZONE %(tz)s)::date AS day, count(*),
              count(*) FILTER (WHERE status = 'answered'),
              avg(duration_seconds) FILTER (WHERE status = 'answered')
       FROM calls_call WHERE client_id = %(client)s AND started_at >= %(start)s AND started_at < %(end)s
       GROUP BY day""",
    """SELECT t.source, count(*), count(*) FILTER (WHERE c.status = 'answered'),
              avg(c.duration_seconds) FILTER (WHERE c.status = 'answered')
       FROM calls_call c JOIN calls_trackingnumber t ON t.id = c.tracking_number_id
       WHERE c.client_id = %(client)s AND c.started_at >= %(start)s AND c.started_at < %(end)s
       GROUP BY t.source""",
    """SELECT status, count(*), count(*) FILTER (WHERE status = 'answered'),
              avg(duration_seconds) FILTER (WHERE status = 'answered')
       FROM calls_call WHERE client_id = %(client)s AND started_at >= %(start)s AND started_at < %(end)s
       GROUP BY status""",
    # The dashboard also answers by channel and by campaign (attribution, SPEC §13).
    """SELECT COALESCE(a.channel, ''), count(*), count(*) FILTER (WHERE c.status = 'answered'),
              avg(c.duration_seconds) FILTER (WHERE c.status = 'answered')
       FROM calls_call c LEFT JOIN attribution_callattribution a ON a.call_id = c.id
       WHERE c.client_id = %(client)s AND c.started_at >= %(start)s AND c.started_at < %(end)s
       GROUP BY 1""",
    """SELECT a.campaign, count(*), count(*) FILTER (WHERE c.status = 'answered'),
              avg(c.duration_seconds) FILTER (WHERE c.status = 'answered')
       FROM calls_call c LEFT JOIN attribution_callattribution a ON a.call_id = c.id
       WHERE c.client_id = %(client)s AND c.started_at >= %(start)s AND c.started_at < %(end)s
       GROUP BY 1""",
]


def run() -> list[Result]:
    # The scan (the "before" of bench_reports): this row measures the ORM against hand-written SQL.
    from calls.selectors import Period
    from calls.selectors import dashboard_summary_scan as dashboard_summary

    ensure_calls(scaled(TOTAL_CALLS, 10_000))
    settle("accounts_client", "calls_trackingnumber", "calls_contact", "calls_call")
    client = focus_client()
    today = timezone.localdate(timezone=client.tzinfo)
    period = Period(first_day=today - dt.timedelta(days=364), last_day=today)
    start, end = period.bounds(client)
    params = {"client": client.pk, "start": start, "end": end, "tz": client.time_zone}

    def hand_written() -> None:
        with connection.cursor() as cursor:
            for sql in HAND_WRITTEN:
                cursor.execute(sql, params)
                cursor.fetchall()

    summary = dashboard_summary(client=client, period=period)
    ours, limit = alternate(
        lambda: dashboard_summary(client=client, period=period), hand_written, REPEATS, WARMUP
    )
    return [
        Result.measured(
            name=f"dashboard, 12 months of one Client ({summary['totals']['calls']:,} calls in range)",
            ours=ours.map(lambda seconds: seconds * 1000),
            limit=limit.map(lambda seconds: seconds * 1000),
            unit="ms",
            goal="≤ 1.5",
            higher_is_better=False,
            notes=[
                f"median of {REPEATS} alternated after {WARMUP} warm-ups, tables vacuumed and analysed first",
                f"peak RSS {peak_rss_mib():.0f} MiB",
            ],
        )
    ]
