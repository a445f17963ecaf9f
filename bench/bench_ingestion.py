"""Call ingestion through the full stack (gunicorn, Django, DRF, PostgreSQL) against a no-op
endpoint behind the same authentication, served by the same gunicorn (goal: at least 0.5)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

from bench.harness import ROOT, Result

CONCURRENCY = 8
DURATION_SECONDS = 5.0
ROUNDS = 3  # alternated, best of each: the load generator shares the machine's two cores
WORKERS = 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_gunicorn(port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "dexem.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def _load(port: int, path: str, key: str, number: str) -> tuple[float, int, int]:
    """POST calls for DURATION_SECONDS from CONCURRENCY threads; returns (req/s, ok, errors)."""
    counts = {"ok": 0, "errors": 0}
    lock = threading.Lock()
    stop_at = time.monotonic() + DURATION_SECONDS

    def worker() -> None:
        ok = errors = 0
        while time.monotonic() < stop_at:
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
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request(
                "POST",
                path,
                body=body,
                headers={"Authorization": f"Api-Key {key}", "Content-Type": "application/json"},
            )
            response = connection.getresponse()
            response.read()
            connection.close()
            if response.status in (200, 201):
                ok += 1
            else:
                errors += 1
        with lock:
            counts["ok"] += ok
            counts["errors"] += errors

    threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return counts["ok"] / elapsed, counts["ok"], counts["errors"]


def _server_peak_rss_mib(process: subprocess.Popen[bytes]) -> float:
    peak = 0.0
    for child in subprocess.run(
        ["pgrep", "-P", str(process.pid)], capture_output=True, text=True
    ).stdout.split():
        try:
            with open(f"/proc/{child}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) / 1024)
        except OSError:
            continue
    return peak


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
    port = _free_port()
    server = _start_gunicorn(port)
    try:
        _load(port, "/bench/noop/", key, number.number)  # warm both workers
        noop, ours = [], []
        for _ in range(ROUNDS):
            noop.append(_load(port, "/bench/noop/", key, number.number))
            ours.append(_load(port, "/api/v1/calls/", key, number.number))
        rss = _server_peak_rss_mib(server)
        noop_rps, ours_rps = max(rps for rps, _, _ in noop), max(rps for rps, _, _ in ours)
        ours_ok, ours_errors = sum(r[1] for r in ours), sum(r[2] for r in ours)
        noop_ok, noop_errors = sum(r[1] for r in noop), sum(r[2] for r in noop)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    client.calls.all().delete()
    return [
        Result(
            name=f"POST /api/v1/calls/ ({CONCURRENCY} clients, gunicorn {WORKERS} workers, best of {ROUNDS})",
            ours=ours_rps,
            limit=noop_rps,
            unit="req/s",
            goal="≥ 0.5",
            higher_is_better=True,
            notes=[
                f"{ours_ok:,} calls stored, {ours_errors} errors; no-op {noop_ok:,} requests, {noop_errors} errors",
                f"worker peak RSS {rss:.0f} MiB",
            ],
        ),
    ]
