"""Call ingestion through the full stack (gunicorn, Django, DRF, PostgreSQL) against a no-op
endpoint behind the same authentication, served by the same gunicorn with production's worker
count (deploy/gunicorn.conf.py; goal: at least 0.5): the
median of fixed-duration rounds of each, alternated (no-op, ours, no-op, ours …) after a warm-up
of both, so a drift of the shared machine hits both sides."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

from bench.harness import (
    Result,
    free_port,
    gunicorn_peak_rss_mib,
    gunicorn_start,
    gunicorn_stop,
    http_post_load,
    production_workers,
    rounds,
    scale,
    settle,
)

CONCURRENCY = 8
DURATION_SECONDS = 4.0
ROUNDS = 9  # of each side, alternated: the load generator shares the machine's two cores
WARMUP_SECONDS = 3.0
NOOP, OURS = "/bench/noop/", "/api/v1/calls/"


def _load(port: int, path: str, key: str, number: str, duration: float) -> tuple[float, int, int]:
    """POST calls for `duration` seconds from CONCURRENCY threads; returns (req/s, ok, errors)."""
    headers = {"Authorization": f"Api-Key {key}", "Content-Type": "application/json"}

    def next_request() -> tuple[bytes, dict[str, str]]:
        body = json.dumps(
            {
                "external_id": uuid.uuid4().hex,
                "tracking_number": number,
                "caller_number": f"+3361{uuid.uuid4().int % 10**7:07d}",
                "status": "answered",
                "started_at": "2026-11-02T10:15:00+01:00",
                "duration_seconds": 42,
            }
        )
        return body.encode(), headers

    return http_post_load(
        port, path, next_request, duration, concurrency=CONCURRENCY, ok_statuses=(200, 201)
    )


def run() -> list[Result]:
    from accounts.models import Client
    from accounts.services import api_key_create, client_create
    from calls.models import TrackingNumber

    client = Client.objects.filter(slug="bench-ingest").first() or client_create(
        name="Ingest", slug="bench-ingest"
    )
    number, _ = TrackingNumber.objects.get_or_create(
        client=client, number="+33184899999", defaults={"source": "Bench"}
    )
    _, key = api_key_create(client=client, name="bench")
    settle("calls_call", "calls_contact")
    port, workers = free_port(), production_workers()
    server = gunicorn_start(port, workers)
    duration = max(0.5, DURATION_SECONDS * scale())
    totals = {path: [0, 0] for path in (NOOP, OURS)}  # requests answered 2xx, errors

    def side(path: str) -> Callable[[], float]:
        def measure() -> float:
            rps, ok, errors = _load(port, path, key, number.number, duration)
            totals[path][0] += ok
            totals[path][1] += errors
            return rps

        return measure

    try:
        for path in (NOOP, OURS):  # warm both workers on both paths, not counted
            _load(port, path, key, number.number, max(0.5, WARMUP_SECONDS * scale()))
        measured = rounds({"ours": side(OURS), "noop": side(NOOP)}, repeats=ROUNDS, warmup=0)
        rss = gunicorn_peak_rss_mib(server)
    finally:
        gunicorn_stop(server)
    (ours_ok, ours_errors), (noop_ok, noop_errors) = totals[OURS], totals[NOOP]
    client.calls.all().delete()
    return [
        Result.measured(
            name=f"POST /api/v1/calls/ ({CONCURRENCY} clients, gunicorn {workers} workers)",
            ours=measured["ours"],
            limit=measured["noop"],
            unit="req/s",
            goal="≥ 0.5",
            higher_is_better=True,
            notes=[
                f"median of {ROUNDS} alternated rounds of {duration:g} s each",
                f"{ours_ok:,} calls stored, {ours_errors} errors; no-op {noop_ok:,} requests, {noop_errors} errors",
                f"worker peak RSS {rss:.0f} MiB",
            ],
        ),
    ]
