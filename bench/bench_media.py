"""Encrypted media: throughput of a 256 MiB object through the storage layer against the bound of
that pipeline (goal: at least 0.7) — the slower of the cipher (`openssl speed -evp aes-256-gcm`
on one core) and the storage itself (the plain write of the same bytes to the same storage for
encryption, the plain read of the stored object for decryption), all measured in the same rounds;
the upload's memory at 16 MiB and 256 MiB (goal: flat, under 64 MiB above the idle worker), and a
Range for the last 64 KiB of 256 MiB (goal: at most 2 segments decrypted)."""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator

from bench.harness import (
    Result,
    Samples,
    free_port,
    gunicorn_peak_rss_mib,
    gunicorn_start,
    gunicorn_stop,
    production_workers,
    rounds,
    scaled,
    seconds_of,
)

MIB = 1024 * 1024
BIG = scaled(256 * MIB, MIB)
SMALL = BIG // 16  # the upload memory is measured at both sizes: it must not grow
REPEATS = 15
WARMUP = 2
OPENSSL_SECONDS = 1
BLOCK = os.urandom(MIB)


def _chunks(total: int, size: int = MIB) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        piece = BLOCK[: min(size, total - sent)]
        sent += len(piece)
        yield piece


def _openssl_bytes_per_second(*, decrypt: bool = False) -> float:
    """One core's AES-256-GCM on 16 KiB blocks, for OPENSSL_SECONDS."""
    command = ["openssl", "speed", "-seconds", str(OPENSSL_SECONDS), "-bytes", "16384"]
    output = subprocess.run(
        [*command, *(["-decrypt"] if decrypt else []), "-evp", "aes-256-gcm"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in output.splitlines() if line.upper().startswith("AES-256-GCM"))
    return float(re.findall(r"([\d.]+)k", line)[-1]) * 1000  # the 16384-byte column


def _upload(port: int, path: str, key: str, size: int) -> int:
    class Body:
        def __init__(self) -> None:
            self._chunks = _chunks(size, 256 * 1024)

        def read(self, _: int = -1) -> bytes:
            return next(self._chunks, b"")

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request(
        "PUT",
        path,
        body=Body(),
        headers={
            "Authorization": f"Api-Key {key}",
            "Content-Type": "audio/wav",
            "Content-Length": str(size),
        },
        encode_chunked=False,
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def run() -> list[Result]:
    from django.test import override_settings

    from accounts.models import Client
    from accounts.services import api_key_create, client_create
    from calls.media.objects import stored_object_open
    from calls.models import Call, Recording, TrackingNumber
    from calls.services import media_shred, media_store

    client = Client.objects.filter(slug="bench-media").first() or client_create(
        name="Media", slug="bench-media"
    )
    number, _ = TrackingNumber.objects.get_or_create(
        client=client, number="+33184899998", defaults={"source": "Bench"}
    )
    call, _ = Call.objects.get_or_create(
        client=client,
        external_id="bench-media",
        defaults={
            "tracking_number": number,
            "status": "answered",
            "started_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        },
    )
    for media in Recording.objects.for_client(client):
        media_shred(media=media)

    from calls.media.format import DEFAULT_SEGMENT_SIZE, TAG_SIZE, Header, encrypt_stream
    from calls.media.objects import READ_SEGMENTS, object_delete, object_encrypt_into_storage
    from calls.media.storage import StreamedFile, media_storage

    storage = media_storage()

    def openssl(decrypt: bool) -> Callable[[], float]:
        # As seconds for BIG bytes, so every side of a round is in the same unit.
        return lambda: BIG / _openssl_bytes_per_second(decrypt=decrypt)

    def format_alone() -> None:
        for _ in encrypt_stream(os.urandom(32), Header.new(call.pk), _chunks(BIG)):
            pass

    def into_storage() -> float:
        started = time.perf_counter()
        name = object_encrypt_into_storage(
            storage_name="bench/encrypt",
            object_id=call.pk,
            data_key=os.urandom(32),
            chunks=_chunks(BIG),
        )
        seconds = time.perf_counter() - started
        object_delete(name)  # not timed: the upload does not delete
        return seconds

    def plain_write() -> float:
        """The same bytes, unencrypted, through the same storage: the disk's share of the bound."""
        started = time.perf_counter()
        name = storage.save("bench/plain", StreamedFile(_chunks(BIG), name="bench/plain"))
        seconds = time.perf_counter() - started
        object_delete(name)
        return seconds

    encrypting = rounds(
        {
            "ours": into_storage,
            "write": plain_write,
            "openssl": openssl(decrypt=False),
            "format": seconds_of(format_alone),
        },
        repeats=REPEATS,
        warmup=WARMUP,
    )

    def sha256_alone() -> None:
        digest = hashlib.sha256()
        for chunk in _chunks(BIG):
            digest.update(chunk)

    uploads: list = []

    def upload_write() -> float:
        for media in uploads:  # the previous round's, not timed
            media_shred(media=media)
        started = time.perf_counter()
        uploads[:] = [
            media_store(call=call, kind="recording", content_type="audio/wav", chunks=_chunks(BIG))
        ]
        return time.perf_counter() - started

    with override_settings(RECORDING_MAX_BYTES=BIG):
        hashing = rounds(
            {"ours": upload_write, "sha256": seconds_of(sha256_alone)},
            repeats=REPEATS,
            warmup=WARMUP,
        )
    media = uploads[0]

    def decrypt() -> None:
        for _ in stored_object_open(media).iter_range(0, BIG - 1):
            pass

    def plain_read() -> None:
        """The stored object read as it is, in the runs decryption reads: the disk's share."""
        with storage.open(media.storage_name, "rb") as stored:
            while stored.read(READ_SEGMENTS * (DEFAULT_SEGMENT_SIZE + TAG_SIZE)):
                pass

    decrypting = rounds(
        {
            "ours": seconds_of(decrypt),
            "read": seconds_of(plain_read),
            "openssl": openssl(decrypt=True),
        },
        repeats=REPEATS,
        warmup=WARMUP,
    )
    tail = stored_object_open(media)
    for _ in tail.iter_range(BIG - 64 * 1024, BIG - 1):
        pass
    tail_segments = tail.decryptor.segments_decrypted
    media_shred(media=media)

    _, key = api_key_create(client=client, name="bench-media")
    port = free_port()
    os.environ["RECORDING_MAX_BYTES"] = str(BIG + MIB)
    server = gunicorn_start(port, production_workers())
    try:
        path = f"/api/v1/calls/{call.pk}/recording/"
        _upload(port, path, key, 64 * 1024)
        idle = gunicorn_peak_rss_mib(server)
        status_16 = _upload(port, path, key, SMALL)
        after_16 = gunicorn_peak_rss_mib(server)
        status_256 = _upload(port, path, key, BIG)
        after_256 = gunicorn_peak_rss_mib(server)
    finally:
        gunicorn_stop(server)
        os.environ.pop("RECORDING_MAX_BYTES", None)
    for media in Recording.objects.for_client(client):
        media_shred(media=media)

    mb = 1e6

    def rate(samples: Samples) -> Samples:
        return samples.map(lambda seconds: BIG / seconds / mb)

    def bound(measured: dict[str, Samples], disk: str) -> Samples:
        """Each round's bound: the slower of the cipher and the disk in that round."""
        return Samples(
            tuple(
                min(cipher, storage_side)
                for cipher, storage_side in zip(
                    rate(measured["openssl"]).values, rate(measured[disk]).values, strict=True
                )
            )
        )

    def sides(measured: dict[str, Samples], disk: str, verb: str) -> str:
        return (
            f"bound = the slower, round by round, of openssl {verb} "
            f"{rate(measured['openssl']).median:,.0f} MB/s (16 KiB blocks, one core) and the "
            f"plain {disk} of the same bytes {rate(measured[disk]).median:,.0f} MB/s"
        )

    alternated = f"median of {REPEATS} rounds alternating every side, after {WARMUP} warm-ups"
    sha256 = rate(hashing["sha256"]).median
    openssl_encrypt = rate(encrypting["openssl"]).median
    return [
        Result.measured(
            f"encrypt {BIG / MIB:g} MiB through the storage layer (segments sealed and written)",
            rate(encrypting["ours"]),
            bound(encrypting, "write"),
            "MB/s",
            "≥ 0.7",
            True,
            [alternated, sides(encrypting, "write", "encrypting")],
        ),
        Result.measured(
            "the upload's write: the same, plus the SHA-256 of the plaintext (SPEC §5), vs SHA-256 alone",
            rate(hashing["ours"]),
            rate(hashing["sha256"]),
            "MB/s",
            "(the hash is the bound)",
            True,
            [
                alternated,
                f"one SHA-256 stream runs at {sha256 / openssl_encrypt:.2f} of openssl's "
                "AES-256-GCM on this CPU, and the upload cannot go faster than its hash "
                "(computed on a second core)",
            ],
        ),
        Result.measured(
            f"the format alone: segment encryption of {BIG / MIB:g} MiB, no storage",
            rate(encrypting["format"]),
            rate(encrypting["openssl"]),
            "MB/s",
            "(where the time goes)",
            True,
            [alternated],
        ),
        Result.measured(
            f"decrypt {BIG / MIB:g} MiB from storage",
            rate(decrypting["ours"]),
            bound(decrypting, "read"),
            "MB/s",
            "≥ 0.7",
            True,
            [alternated, sides(decrypting, "read", "decrypting")],
        ),
        Result(
            f"upload through gunicorn: worker peak RSS above idle, {SMALL / MIB:g} MiB then {BIG / MIB:g} MiB",
            after_256 - idle,
            64,
            "MiB",
            "flat, < 64 MiB",
            False,
            [
                f"idle {idle:.0f} MiB, after {SMALL / MIB:g} MiB {after_16:.0f} MiB, after {BIG / MIB:g} MiB {after_256:.0f} MiB",
                f"HTTP {status_16}, {status_256}",
            ],
        ),
        Result(
            f"Range for the last 64 KiB of {BIG / MIB:g} MiB: segments decrypted",
            tail_segments,
            2,
            "segments",
            "≤ 2",
            False,
            [],
        ),
    ]
