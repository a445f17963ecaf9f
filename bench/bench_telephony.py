"""Telephony (SPEC §12): status webhooks through gunicorn vs a no-op endpoint behind the same
account lookup and signature check (goal ≥ 0.5); the recording task (download, encrypt, store,
commit, provider DELETE) vs downloading the same bytes through the same HTTP client into a plain
file on the same disk (goal ≥ 0.7), and its streaming alone (where the time goes); the task's
memory with a 100 MB recording (goal: flat, a few MiB whatever the size).

Every figure is the median of alternated rounds (bench.harness.rounds: ours, limit, limit, ours
…) after a warm-up of both sides, with its spread beside it (issue 19).

The provider is tests/telephony/fake_twilio.py on loopback, in a process of its own serving
generated audio; both sides of the download comparison fetch from it."""

from __future__ import annotations

import itertools
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlencode

from bench.harness import (
    ROOT,
    Result,
    current_rss_mib,
    free_port,
    gunicorn_peak_rss_mib,
    gunicorn_start,
    gunicorn_stop,
    http_post_load,
    production_workers,
    rounds,
    scale,
    scaled,
)

CONCURRENCY = 8
DURATION_SECONDS = 4.0
WARMUP_SECONDS = 3.0
ROUNDS = 15  # of each side, alternated: the load generator shares the machine's two cores
# Rounds of downloads: a run's median moved by 15 % between runs with 11 (the page cache and the
# machine's neighbours shift over tens of seconds); each round costs about a second.
RECORDING_ROUNDS = 31
# Downloads a measure on loopback, each side's seconds a download averaged over them: one
# download of 20 MB takes about 15 ms, and single ones spread by 13-15 % (the page cache, the
# provider's process sharing the two cores).
RECORDING_BATCH = 4
CALLS = 6000  # distinct calls the status callbacks report on
REPORTS = 60_000  # signed new reports on them, more than a run sends: none is a retry
RECORDING_BYTES = scaled(100_000_000, 1_000_000)
SMALL_RECORDING_BYTES = scaled(20_000_000, 1_000_000)
# A provider's copy crosses a network: 1 Gbit/s, a fast link to a provider's API.
NETWORK_BYTES_PER_SECOND = 125_000_000
NETWORK_ROUNDS = 5
ACCOUNT_SID = "AC" + "be" * 16
TOKEN = "bench-token-" + "5" * 20


def _signed_bodies(port: int, path: str, call_sids: list[str]) -> list[tuple[bytes, str]]:
    """REPORTS signed status callbacks, each a new report (not a provider retry): the calls in
    turn, each pass over them with another duration, from a start drawn for this run (the bench
    database keeps the previous runs' reports)."""
    from twilio.request_validator import RequestValidator

    validator, url = RequestValidator(TOKEN), f"http://127.0.0.1:{port}{path}"
    start, bodies = 1000 + secrets.randbelow(10**6), []
    for index in range(REPORTS):
        params = {
            "AccountSid": ACCOUNT_SID,
            "CallSid": call_sids[index % len(call_sids)],
            "CallStatus": "completed",
            "CallDuration": str(start + index // len(call_sids)),
            "Timestamp": "Wed, 02 Dec 2026 03:45:00 +0000",
        }
        bodies.append((urlencode(params).encode(), validator.compute_signature(url, params)))
    return bodies


def _load(
    port: int, path: str, bodies: list[tuple[bytes, str]], duration: float, cursor: Iterator[int]
) -> tuple[float, int, int]:
    def next_request() -> tuple[bytes, dict[str, str]]:
        body, signature = bodies[next(cursor) % len(bodies)]
        return body, {
            "X-Twilio-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded",
        }

    return http_post_load(
        port, path, next_request, duration, concurrency=CONCURRENCY, keep_alive=True
    )


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
    port, workers = free_port(), production_workers()
    server = gunicorn_start(port, workers)
    status_path, noop_path = "/telephony/twilio/status/", "/bench/noop-webhook/"
    bodies = {
        status_path: _signed_bodies(port, status_path, call_sids),
        noop_path: _signed_bodies(port, noop_path, call_sids),
    }
    duration = max(0.5, DURATION_SECONDS * scale())
    totals = {path: [0, 0] for path in bodies}  # requests answered 200, errors
    # Each path's bodies are sent once in order across the rounds, the warm-up included.
    cursors = {path: itertools.count() for path in bodies}

    def side(path: str) -> Callable[[], float]:
        def measure() -> float:
            rps, ok, errors = _load(port, path, bodies[path], duration, cursors[path])
            totals[path][0] += ok
            totals[path][1] += errors
            return rps

        return measure

    try:
        for path in bodies:  # warm both workers on both paths, not counted
            _load(port, path, bodies[path], max(0.5, WARMUP_SECONDS * scale()), cursors[path])
        measured = rounds(
            {"ours": side(status_path), "noop": side(noop_path)}, repeats=ROUNDS, warmup=0
        )
        rss = gunicorn_peak_rss_mib(server)
    finally:
        gunicorn_stop(server)
    (ours_ok, ours_errors), (noop_ok, noop_errors) = totals[status_path], totals[noop_path]
    return Result.measured(
        name=f"POST /telephony/twilio/status/ ({CONCURRENCY} clients, gunicorn {workers} workers)",
        ours=measured["ours"],
        limit=measured["noop"],
        unit="req/s",
        goal="≥ 0.5",
        higher_is_better=True,
        notes=[
            f"median of {ROUNDS} alternated rounds of {duration:g} s each",
            f"{len(call_sids):,} calls; {min(next(cursors[status_path]), REPORTS):,} new final "
            "statuses (none a retry), each leaving the Call's outcome as it was",
            f"{ours_ok:,} callbacks, {ours_errors} errors; no-op {noop_ok:,} requests, "
            f"{noop_errors} errors",
            f"worker peak RSS {rss:.0f} MiB",
        ],
        paired=True,
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


def _start_provider(size: int, rate: float = 0.0) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.telephony.fake_twilio",
            ACCOUNT_SID,
            TOKEN,
            str(size),
            str(rate),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    base_url = process.stdout.readline().strip()  # type: ignore[union-attr]
    if not base_url.startswith("http://"):
        process.kill()
        raise RuntimeError("the fake provider did not start")
    return process, base_url


def _streamed(url: str, auth: tuple[str, str]) -> float:
    """The task's streaming alone: the same download through the encryptor into the storage
    (calls.media.objects.object_write, as media_store calls it), without the task's database
    rows, audit events and the DELETE at the provider."""
    import requests

    from calls.media.objects import object_delete, object_write
    from telephony.services import CHUNK_BYTES

    object_id = uuid.uuid4()
    started = time.perf_counter()
    with requests.get(url, auth=auth, stream=True, timeout=(10, 30)) as response:
        stored = object_write(
            storage_name=f"bench/{object_id}.dxm",
            object_id=object_id,
            chunks=response.iter_content(CHUNK_BYTES),
            max_bytes=RECORDING_BYTES,
            digest=False,
        )
    elapsed = time.perf_counter() - started
    object_delete(stored.storage_name)
    return elapsed


def _recordings(client: object, call_sid: str) -> list[Result]:
    from django.conf import settings

    from calls.models import Recording
    from calls.services import media_shred
    from telephony.models import ProviderCall, ProviderRecording, RecordingState
    from telephony.services import provider_recording_fetch

    leg = ProviderCall.objects.for_client(client).get(provider_call_id=call_sid)

    def shred() -> None:
        """The call's recording goes after each run, untimed: every run stores a call's first
        recording, as the provider's callback does, rather than replace the previous run's."""
        for media in Recording.objects.for_client(client).filter(call__external_id=call_sid):
            media_shred(media=media)

    shred()
    os.makedirs(settings.RECORDING_STORAGE_DIR, exist_ok=True)
    results = []
    for size, network in (
        (SMALL_RECORDING_BYTES, 0),
        (RECORDING_BYTES, 0),
        (RECORDING_BYTES, NETWORK_BYTES_PER_SECOND),
    ):
        provider, base_url = _start_provider(size, network)
        settings.TWILIO_API_BASE = base_url
        growths: list[float] = []

        def url_of(recording_sid: str, base_url: str = base_url) -> str:
            return f"{base_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{recording_sid}.wav"

        def plain() -> float:
            with tempfile.TemporaryDirectory(dir=settings.RECORDING_STORAGE_DIR) as directory:
                url = url_of("RE" + secrets.token_hex(16))
                return _plain_download(url, (ACCOUNT_SID, TOKEN), directory)

        def streamed() -> float:
            return _streamed(url_of("RE" + secrets.token_hex(16)), (ACCOUNT_SID, TOKEN))

        def ours(growths: list[float] = growths) -> float:
            recording = ProviderRecording.objects.create(
                client=client, provider_call=leg,
                provider_recording_id="RE" + secrets.token_hex(16), kind="recording",
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
            growths.append(peak[0] - baseline)
            shred()
            return elapsed

        sides = {"ours": ours, "plain": plain}
        if not network:
            sides["streamed"] = streamed
        repeats = NETWORK_ROUNDS if network else RECORDING_ROUNDS
        try:
            measured = rounds(
                sides, repeats=repeats, warmup=1, batch=1 if network else RECORDING_BATCH
            )
        finally:
            provider.terminate()
            provider.wait(timeout=10)
        mb = size / 1e6

        def rate(seconds: float, mb: float = mb) -> float:
            return mb / seconds

        results.append(
            Result.measured(
                name=f"recording task, {mb:.0f} MB WAV from a provider sending at "
                f"{network * 8 / 1e9:.0f} Gbit/s"
                if network
                else f"recording task, {mb:.0f} MB WAV (download, encrypt, store, DELETE)",
                ours=measured["ours"].map(rate),
                limit=measured["plain"].map(rate),
                unit="MB/s",
                goal="(at a network's pace)" if network else "≥ 0.7",
                higher_is_better=True,
                notes=[
                    f"median of {repeats} alternated rounds after a warm-up of each"
                    + (
                        ""
                        if network
                        else f", each the mean of {RECORDING_BATCH} downloads a side "
                        "alternated one by one"
                    ),
                    "the fake provider paces what it sends; limit: the same download into a "
                    "plain file"
                    if network
                    else "limit: the same bytes through the same HTTP client into a plain file",
                    f"task RSS growth {max(growths):.0f} MiB (the highest of {len(growths)} runs)",
                ],
                paired=True,
            )
        )
        if network:
            continue
        results.append(
            Result.measured(
                name=f"the task's streaming alone, {mb:.0f} MB (download, encrypt, store)",
                ours=measured["streamed"].map(rate),
                limit=measured["plain"].map(rate),
                unit="MB/s",
                goal="(where the time goes)",
                higher_is_better=True,
                notes=[
                    "the same rounds; object_write fed by the same download, without the task's "
                    "three transactions, audit events and DELETE at the provider",
                ],
                paired=True,
            )
        )
    return results


def run(*, webhooks: bool = True) -> list[Result]:
    client, _, call_sids = _setup()
    results = [_webhooks(call_sids)] if webhooks else []
    results += _recordings(client, call_sids[0])
    return results
