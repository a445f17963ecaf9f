"""Telephony (SPEC §12): status webhooks through gunicorn vs a no-op endpoint behind the same
signature check (goal ≥ 0.5); the recording task (download, encrypt, store, provider DELETE) vs
downloading the same bytes into a plain file (goal ≥ 0.7); the task's memory with a 100 MB
recording (goal: flat, a few MiB whatever the size).

The provider is tests/telephony/fake_twilio.py on loopback, in a process of its own serving
generated audio; both sides of the download comparison fetch from it."""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import urlencode

from bench.bench_ingestion import _free_port, _server_peak_rss_mib, _start_gunicorn
from bench.harness import ROOT, Result, current_rss_mib

CONCURRENCY = 8
DURATION_SECONDS = 5.0
ROUNDS = 3
CALLS = 6000  # distinct calls the status callbacks report on
RECORDING_BYTES = 100_000_000
SMALL_RECORDING_BYTES = 20_000_000
ACCOUNT_SID = "AC" + "be" * 16
TOKEN = "bench-token-" + "5" * 20


def _signed_bodies(port: int, path: str, call_sids: list[str]) -> list[tuple[bytes, str]]:
    from twilio.request_validator import RequestValidator

    validator, url = RequestValidator(TOKEN), f"http://127.0.0.1:{port}{path}"
    bodies = []
    for index, call_sid in enumerate(call_sids):
        params = {
            "AccountSid": ACCOUNT_SID,
            "CallSid": call_sid,
            "CallStatus": "completed",
            "CallDuration": str(20 + index % 300),
            "Timestamp": "Wed, 02 Dec 2026 03:45:00 +0000",
        }
        bodies.append((urlencode(params).encode(), validator.compute_signature(url, params)))
    return bodies


def _load(port: int, path: str, bodies: list[tuple[bytes, str]]) -> tuple[float, int, int]:
    counts = {"ok": 0, "errors": 0}
    lock, cursor = threading.Lock(), iter(range(10**9))
    stop_at = time.monotonic() + DURATION_SECONDS

    def worker() -> None:
        ok = errors = 0
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < stop_at:
            body, signature = bodies[next(cursor) % len(bodies)]
            connection.request(
                "POST",
                path,
                body=body,
                headers={
                    "X-Twilio-Signature": signature,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                ok += 1
            else:
                errors += 1
        connection.close()
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


def _setup() -> tuple[object, object, list[str]]:
    from accounts.models import Client
    from accounts.services import client_create
    from calls.models import TrackingNumber
    from telephony.models import ProviderCall
    from telephony.providers.base import IncomingCall
    from telephony.services import provider_call_start, telephony_account_set

    client = Client.objects.filter(slug="bench-telephony").first() or client_create(
        name="Telephony", slug="bench-telephony"
    )
    telephony_account_set(
        client=client, provider="twilio", account_sid=ACCOUNT_SID, auth_token=TOKEN
    )
    number = TrackingNumber.objects.for_client(client).filter(number="+33184898888").first()
    if number is None:
        number = TrackingNumber.objects.create(
            client=client, number="+33184898888", source="Bench", forward_to="+33198765432"
        )
    call_sids = list(
        ProviderCall.objects.for_client(client).values_list("provider_call_id", flat=True)[:CALLS]
    )
    for index in range(len(call_sids), CALLS):
        call_sid = "CA" + secrets.token_hex(16)
        provider_call_start(
            client=client,
            incoming=IncomingCall(
                call_id=call_sid, called=number.number, caller=f"+3361{index:07d}"
            ),
            tracking_number=number,
        )
        call_sids.append(call_sid)
    return client, number, call_sids


def _webhooks(call_sids: list[str]) -> Result:
    port = _free_port()
    server = _start_gunicorn(port)
    status_path, noop_path = "/telephony/twilio/status/", "/bench/noop-webhook/"
    ours_bodies = _signed_bodies(port, status_path, call_sids)
    noop_bodies = _signed_bodies(port, noop_path, call_sids)
    try:
        _load(port, noop_path, noop_bodies)  # warm both workers
        noop, ours = [], []
        for _ in range(ROUNDS):
            noop.append(_load(port, noop_path, noop_bodies))
            ours.append(_load(port, status_path, ours_bodies))
        rss = _server_peak_rss_mib(server)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    noop_rps, ours_rps = max(r[0] for r in noop), max(r[0] for r in ours)
    return Result(
        name=f"POST /telephony/twilio/status/ ({CONCURRENCY} clients, best of {ROUNDS})",
        ours=ours_rps,
        limit=noop_rps,
        unit="req/s",
        goal="≥ 0.5",
        higher_is_better=True,
        notes=[
            f"{sum(r[1] for r in ours):,} callbacks, {sum(r[2] for r in ours)} errors; no-op "
            f"{sum(r[1] for r in noop):,} requests, {sum(r[2] for r in noop)} errors",
            f"worker peak RSS {rss:.0f} MiB",
        ],
    )


def _plain_download(url: str, auth: tuple[str, str], directory: str) -> float:
    import requests

    from telephony.services import CHUNK_BYTES

    started = time.perf_counter()
    with (
        requests.get(url, auth=auth, stream=True, timeout=(10, 30)) as response,
        open(os.path.join(directory, "plain.wav"), "wb") as target,
    ):
        for chunk in response.iter_content(CHUNK_BYTES):
            target.write(chunk)
    return time.perf_counter() - started


def _start_provider(size: int) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.telephony.fake_twilio", ACCOUNT_SID, TOKEN, str(size)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    base_url = process.stdout.readline().strip()  # type: ignore[union-attr]
    if not base_url.startswith("http://"):
        process.kill()
        raise RuntimeError("the fake provider did not start")
    return process, base_url


def _recordings(client: object, call_sid: str) -> list[Result]:
    from django.conf import settings

    from telephony.models import ProviderCall, ProviderRecording, RecordingState
    from telephony.services import provider_recording_fetch

    leg = ProviderCall.objects.for_client(client).get(provider_call_id=call_sid)
    os.makedirs(settings.RECORDING_STORAGE_DIR, exist_ok=True)
    results = []
    for size in (SMALL_RECORDING_BYTES, RECORDING_BYTES):
        provider, base_url = _start_provider(size)
        settings.TWILIO_API_BASE = base_url
        ours_best, plain_best, peak_growth = float("inf"), float("inf"), 0.0
        try:
            for _ in range(ROUNDS):
                recording_sid = "RE" + secrets.token_hex(16)
                url = f"{base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{recording_sid}.wav"
                with tempfile.TemporaryDirectory(dir=settings.RECORDING_STORAGE_DIR) as directory:
                    plain_best = min(
                        plain_best, _plain_download(url, (ACCOUNT_SID, TOKEN), directory)
                    )
                recording = ProviderRecording.objects.create(
                    client=client, provider_call=leg, provider_recording_id=recording_sid,
                    kind="recording",
                )  # fmt: skip
                baseline, peak, done = current_rss_mib(), [0.0], threading.Event()

                def sample(peak: list[float] = peak, done: threading.Event = done) -> None:
                    while not done.is_set():
                        peak[0] = max(peak[0], current_rss_mib())
                        time.sleep(0.02)

                sampler = threading.Thread(target=sample)
                sampler.start()
                started = time.perf_counter()
                provider_recording_fetch(recording=recording)
                elapsed = time.perf_counter() - started
                done.set()
                sampler.join()
                assert recording.state == RecordingState.DONE
                ours_best = min(ours_best, elapsed)
                peak_growth = max(peak_growth, peak[0] - baseline)
        finally:
            provider.terminate()
            provider.wait(timeout=10)
        mb = size / 1e6
        results.append(
            Result(
                name=f"recording task, {mb:.0f} MB WAV (download, encrypt, store, DELETE)",
                ours=mb / ours_best,
                limit=mb / plain_best,
                unit="MB/s",
                goal="≥ 0.7",
                higher_is_better=True,
                notes=[f"task RSS growth {peak_growth:.0f} MiB (best of {ROUNDS})"],
            )
        )
    return results


def run(*, webhooks: bool = True) -> list[Result]:
    client, _, call_sids = _setup()
    results = [_webhooks(call_sids)] if webhooks else []
    results += _recordings(client, call_sids[0])
    return results
