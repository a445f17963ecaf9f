"""Recordings in S3-compatible storage (moto's server on loopback, SPEC §11 and §15): ranged
playback of the last 64 KiB of a 256 MiB recording (the segments the Range needs, fetched and
decrypted) vs a plain ranged GET of the same number of stored bytes with boto3 (goal: at most
1.5; the first Range of a playback also fetches the header); the upload's memory at 16 MiB and
256 MiB (goal: flat). The three reads alternate in rounds (next Range, plain GET, first Range);
each is the median of its rounds, with its spread."""

from __future__ import annotations

import os
import tracemalloc
import uuid
from collections.abc import Iterator

from bench.harness import Result, rounds, scaled, seconds_of

MIB = 1024 * 1024
BIG = scaled(256 * MIB, 2 * MIB)
SMALL = BIG // 16  # the upload's memory is measured at both sizes: it must not grow
TAIL = 64 * 1024
REPEATS = 31  # a GET of moto's costs about 0.1 s at 256 MiB (it reads the whole object)
WARMUP = 2
BLOCK = os.urandom(MIB)


def _chunks(total: int) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        piece = BLOCK[: min(MIB, total - sent)]
        sent += len(piece)
        yield piece


def run() -> list[Result]:
    from django.test import override_settings

    from calls.media import objects
    from calls.media.objects import object_delete, object_open, object_write
    from tests.s3_server import ACCESS_KEY, REGION, SECRET_KEY, s3_client, s3_server_start

    server = s3_server_start()
    try:
        client = s3_client(server.endpoint_url)
        client.create_bucket(Bucket="dexem-bench")
        with override_settings(
            RECORDING_STORAGE="s3",
            S3_BUCKET="dexem-bench",
            S3_ENDPOINT_URL=server.endpoint_url,
            S3_ACCESS_KEY_ID=ACCESS_KEY,
            S3_SECRET_ACCESS_KEY=SECRET_KEY,
            S3_REGION=REGION,
        ):

            def upload(size: int):
                object_id = uuid.uuid4()
                return object_write(
                    storage_name=f"bench/{object_id}.dxm",
                    object_id=object_id,
                    chunks=_chunks(size),
                    max_bytes=size,
                    digest=True,
                )

            object_delete(upload(MIB).storage_name)  # botocore's models load once, not per upload
            peaks = {}
            stored = None
            for size in (SMALL, BIG):
                tracemalloc.start()
                stored = upload(size)
                peaks[size] = tracemalloc.get_traced_memory()[1] / MIB
                tracemalloc.stop()
                if size != BIG:
                    object_delete(stored.storage_name)
            assert stored is not None

            def playback() -> None:
                opened = object_open(
                    storage_name=stored.storage_name,
                    object_id=stored.object_id,
                    key_id=stored.key_id,
                    wrapped_key=stored.wrapped_key,
                    size_bytes=stored.size_bytes,
                )
                for _ in opened.iter_range(BIG - TAIL, BIG - 1):
                    pass

            first = stored.stored_size - TAIL

            def plain_get() -> None:
                client.get_object(
                    Bucket="dexem-bench",
                    Key=stored.storage_name,
                    Range=f"bytes={first}-{stored.stored_size - 1}",
                )["Body"].read()

            def first_playback() -> None:
                objects._headers.clear()
                playback()

            measured = rounds(
                {
                    "next": seconds_of(playback),
                    "plain": seconds_of(plain_get),
                    "first": seconds_of(first_playback),
                },
                repeats=REPEATS,
                warmup=WARMUP,
            )
            object_delete(stored.storage_name)
    finally:
        server.stop()
    ms = {name: samples.map(lambda seconds: seconds * 1000) for name, samples in measured.items()}
    alternated = (
        f"median of {REPEATS} rounds alternating the next Range, the plain GET and the first "
        f"Range, after {WARMUP} warm-ups; moto's server on loopback"
    )
    return [
        Result.measured(
            f"ranged playback of the last 64 KiB of {BIG / MIB:g} MiB from S3 vs one plain ranged GET",
            ms["next"],
            ms["plain"],
            "ms",
            "≤ 1.5",
            False,
            [
                alternated,
                "a player's next Range: one ranged GET of the two segments, decrypted (the "
                "object's header was checked at its first)",
            ],
            paired=True,
        ),
        Result.measured(
            "the first Range of a playback (the header and size fetched first) vs the same GET",
            ms["first"],
            ms["plain"],
            "ms",
            "(two requests)",
            False,
            [
                alternated,
                "a GET of the 32-byte header, then the segments' GET; moto reads the whole "
                "object for any range, so each GET costs about as much as the plain one",
            ],
            paired=True,
        ),
        Result(
            f"upload memory (tracemalloc peak): {BIG / MIB:g} MiB vs {SMALL / MIB:g} MiB, multipart to S3",
            peaks[BIG],
            peaks[SMALL],
            "MiB",
            "≈ 1 (flat)",
            False,
            ["5 MiB parts, at most two read ahead and two uploading"],
        ),
    ]
