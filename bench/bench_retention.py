"""The calls purge: 500,000 expired calls of a Client's 1M on PostgreSQL, against one DELETE of
the same rows (goal: at most 2x), with the longest batch transaction (goal: at most 0.5 s) and the
process's memory (goal: flat)."""

from __future__ import annotations

import time

from django.db import connection

from bench.dataset import ensure_export_client
from bench.harness import Result, current_rss_mib, peak_rss_mib

SLUG = "bench-purge"
TOTAL = 1_000_000
KEEP_MONTHS = 12  # of 24 months of calls: about half expire


def run() -> list[Result]:
    from accounts.models import Client
    from accounts.retention_policy import months_before
    from retention.models import RetentionJob
    from retention.services import run_job

    ensure_export_client(TOTAL, SLUG, rebuild=True)
    client = Client.objects.get(slug=SLUG)
    Client.objects.filter(pk=client.pk).update(call_retention_months=KEEP_MONTHS)
    client.refresh_from_db()
    from django.utils import timezone

    now = timezone.now()
    cutoff = months_before(now.astimezone(client.tzinfo), KEEP_MONTHS)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM calls_call WHERE client_id = %s AND started_at < %s",
            [client.pk, cutoff],
        )
        expired = cursor.fetchone()[0]
        started = time.perf_counter()
        cursor.execute(
            "DELETE FROM calls_call WHERE client_id = %s AND started_at < %s", [client.pk, cutoff]
        )
        limit_seconds = time.perf_counter() - started

    ensure_export_client(TOTAL, SLUG, rebuild=True)
    Client.objects.filter(slug=SLUG).update(call_retention_months=KEEP_MONTHS)
    rss_before = current_rss_mib()
    started = time.perf_counter()
    run = run_job(RetentionJob.CALLS, now=now)
    ours_seconds = time.perf_counter() - started
    rss_after = current_rss_mib()
    return [
        Result(
            f"purge {run.counts.get('calls', 0):,} expired calls of {TOTAL:,} (one DELETE: {expired:,} rows)",
            ours_seconds,
            limit_seconds,
            "s",
            "≤ 2",
            False,
            [
                f"{run.batches} batches, longest {run.longest_batch_ms} ms (goal ≤ 500)",
                f"RSS {rss_before:.0f} → {rss_after:.0f} MiB, peak {peak_rss_mib():.0f} MiB",
                f"also deleted {run.counts.get('contacts', 0):,} Contacts left without calls",
            ],
        )
    ]
