"""The calls purge: 500,000 expired calls of a Client's 1M on PostgreSQL, against one DELETE of
the same rows (goal: at most 2x), with the longest batch transaction (goal: at most 0.5 s) and the
process's memory (goal: flat). The data set is rebuilt before each run of either side (a purge
runs once); the two sides alternate and each figure is the median of REPEATS runs."""

from __future__ import annotations

import time

from django.db import connection

from bench.dataset import ensure_export_client
from bench.harness import Result, Samples, current_rss_mib, peak_rss_mib, rounds, scaled

SLUG = "bench-purge"
TOTAL = scaled(1_000_000, 10_000)
REPEATS = 3  # each run rebuilds 1M calls first: the spread check says if that is too few
GOAL_BATCH_MS = 500
KEEP_MONTHS = 12  # of 24 months of calls: about half expire


def _expired_calls(client, cutoff) -> int:
    """The rows either side deletes, counted: a warm-up that reads them into the cache."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM calls_call WHERE client_id = %s AND started_at < %s",
            [client.pk, cutoff],
        )
        return cursor.fetchone()[0]


def run() -> list[Result]:
    from django.utils import timezone

    from accounts.models import Client
    from accounts.retention_policy import months_before
    from retention.models import RetentionJob
    from retention.services import run_job

    def rebuilt():
        """A fresh data set (settled by its build: vacuumed, analysed) and its cut-off."""
        ensure_export_client(TOTAL, SLUG, rebuild=True)
        Client.objects.filter(slug=SLUG).update(call_retention_months=KEEP_MONTHS)
        client = Client.objects.get(slug=SLUG)
        now = timezone.now()
        return client, now, months_before(now.astimezone(client.tzinfo), KEEP_MONTHS)

    expired: list[int] = []
    runs: list = []
    rss: list[tuple[float, float]] = []

    def one_delete() -> float:
        client, _, cutoff = rebuilt()
        expired.append(_expired_calls(client, cutoff))
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(
                "DELETE FROM calls_call WHERE client_id = %s AND started_at < %s",
                [client.pk, cutoff],
            )
            return time.perf_counter() - started

    def purge() -> float:
        client, now, cutoff = rebuilt()
        _expired_calls(client, cutoff)
        before = current_rss_mib()
        started = time.perf_counter()
        runs.append(run_job(RetentionJob.CALLS, now=now))
        seconds = time.perf_counter() - started
        rss.append((before, current_rss_mib()))
        return seconds

    measured = rounds({"ours": purge, "limit": one_delete}, repeats=REPEATS, warmup=0)
    last = runs[-1]
    longest = Samples(tuple(float(run.longest_batch_ms) for run in runs))
    alternated = (
        f"median of {REPEATS} alternated runs, the data set rebuilt and settled before each"
    )
    return [
        Result.measured(
            f"purge {last.counts.get('calls', 0):,} expired calls of {TOTAL:,} (one DELETE: {expired[-1]:,} rows)",
            measured["ours"],
            measured["limit"],
            "s",
            "≤ 2",
            False,
            [
                alternated,
                f"{last.batches} batches",
                f"RSS {rss[-1][0]:.0f} → {rss[-1][1]:.0f} MiB, peak {peak_rss_mib():.0f} MiB",
                f"also deleted {last.counts.get('contacts', 0):,} Contacts left without calls",
            ],
        ),
        Result(
            "the purge's longest batch transaction",
            longest.median,
            GOAL_BATCH_MS,
            "ms",
            f"≤ 1 (≤ {GOAL_BATCH_MS} ms)",
            False,
            [f"median over the {REPEATS} purges above; the limit is the goal itself"],
            ours_samples=longest,
        ),
    ]
