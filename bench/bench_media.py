"""Encrypted media: throughput of a 256 MB object through the storage layer against
`openssl speed -evp aes-256-gcm` on one core (goal: at least 0.7), the upload's memory at 16 MB
and 256 MB (goal: flat, under 64 MB above the idle worker), and a Range for the last 64 KiB of
256 MB (goal: at most 2 segments decrypted)."""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import signal
import subprocess
from collections.abc import Iterator

from bench.bench_ingestion import _free_port, _start_gunicorn
from bench.harness import Result, best_of

MIB = 1024 * 1024
BIG = 256 * MIB
BLOCK = os.urandom(MIB)


def _chunks(total: int, size: int = MIB) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        piece = BLOCK[: min(size, total - sent)]
        sent += len(piece)
        yield piece


def _openssl_bytes_per_second() -> float:
    output = subprocess.run(
        ["openssl", "speed", "-seconds", "3", "-evp", "aes-256-gcm"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in output.splitlines() if line.upper().startswith("AES-256-GCM"))
    return float(re.findall(r"([\d.]+)k", line)[-1]) * 1000  # the 16384-byte column


def _worker_hwm_mib(server: subprocess.Popen[bytes]) -> float:
    from bench.bench_ingestion import _server_peak_rss_mib

    return _server_peak_rss_mib(server)


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
            "started_at": "2026-01-01T00:00:00Z",
        },
    )
    for media in Recording.objects.for_client(client):
        media_shred(media=media)

    # openssl's own figure moves between runs on a shared machine: take the better of two.
    limit = max(_openssl_bytes_per_second(), _openssl_bytes_per_second())
    from calls.media.format import Header, encrypt_stream
    from calls.media.objects import object_delete, object_encrypt_into_storage

    def format_alone() -> None:
        for _ in encrypt_stream(os.urandom(32), Header.new(call.pk), _chunks(BIG)):
            pass

    def into_storage() -> None:
        name = object_encrypt_into_storage(
            storage_name="bench/encrypt",
            object_id=call.pk,
            data_key=os.urandom(32),
            chunks=_chunks(BIG),
        )
        object_delete(name)

    def sha256_alone() -> None:
        digest = hashlib.sha256()
        for chunk in _chunks(BIG):
            digest.update(chunk)

    uploads: list = []

    def upload_write() -> None:
        for media in uploads:
            media_shred(media=media)
        uploads[:] = [
            media_store(call=call, kind="recording", content_type="audio/wav", chunks=_chunks(BIG))
        ]

    format_seconds = best_of(3, format_alone)
    storage_seconds = best_of(3, into_storage)
    sha256_seconds = best_of(3, sha256_alone)
    with override_settings(RECORDING_MAX_BYTES=BIG):
        upload_seconds = best_of(3, upload_write)
    media = uploads[0]

    def decrypt() -> None:
        for _ in stored_object_open(media).iter_range(0, BIG - 1):
            pass

    decrypt_seconds = best_of(3, decrypt)
    tail = stored_object_open(media)
    for _ in tail.iter_range(BIG - 64 * 1024, BIG - 1):
        pass
    tail_segments = tail.decryptor.segments_decrypted
    media_shred(media=media)

    _, key = api_key_create(client=client, name="bench-media")
    port = _free_port()
    os.environ["RECORDING_MAX_BYTES"] = str(BIG + MIB)
    server = _start_gunicorn(port)
    try:
        path = f"/api/v1/calls/{call.pk}/recording/"
        _upload(port, path, key, 64 * 1024)
        idle = _worker_hwm_mib(server)
        status_16 = _upload(port, path, key, 16 * MIB)
        after_16 = _worker_hwm_mib(server)
        status_256 = _upload(port, path, key, BIG)
        after_256 = _worker_hwm_mib(server)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        os.environ.pop("RECORDING_MAX_BYTES", None)
    for media in Recording.objects.for_client(client):
        media_shred(media=media)

    mb = 1e6
    return [
        Result(
            "encrypt 256 MiB through the storage layer (segments sealed and written)",
            BIG / storage_seconds / mb,
            limit / mb,
            "MB/s",
            "≥ 0.7",
            True,
            ["best of 3; openssl speed 16 KiB blocks, one core, better of two runs"],
        ),
        Result(
            "the upload's write: the same, plus the SHA-256 of the plaintext (SPEC §5), vs SHA-256 alone",
            BIG / upload_seconds / mb,
            BIG / sha256_seconds / mb,
            "MB/s",
            "(the hash is the bound)",
            True,
            [
                f"best of 3; {BIG / upload_seconds / limit:.2f} of openssl: one SHA-256 stream "
                f"runs at {BIG / sha256_seconds / limit:.2f} of it on this CPU, and the upload "
                "cannot go faster than its hash (computed on a second core)"
            ],
        ),
        Result(
            "the format alone: segment encryption of 256 MiB, no storage",
            BIG / format_seconds / mb,
            limit / mb,
            "MB/s",
            "(where the time goes)",
            True,
            ["best of 3"],
        ),
        Result(
            "decrypt 256 MiB from storage",
            BIG / decrypt_seconds / mb,
            limit / mb,
            "MB/s",
            "≥ 0.7",
            True,
            ["best of 3"],
        ),
        Result(
            "upload through gunicorn: worker peak RSS above idle, 16 MiB then 256 MiB",
            after_256 - idle,
            64,
            "MiB",
            "flat, < 64 MiB",
            False,
            [
                f"idle {idle:.0f} MiB, after 16 MiB {after_16:.0f} MiB, after 256 MiB {after_256:.0f} MiB",
                f"HTTP {status_16}, {status_256}",
            ],
        ),
        Result(
            "Range for the last 64 KiB of 256 MiB: segments decrypted",
            tail_segments,
            2,
            "segments",
            "≤ 2",
            False,
            [],
        ),
    ]
