"""Encrypted objects through the storage: the threads that overlap I/O with the cipher."""

from __future__ import annotations

import os
import threading
import uuid

import pytest

from calls.media.format import MediaIntegrityError
from calls.media.objects import object_open, object_write

AUDIO = os.urandom(300_000)  # five 64 KiB segments


@pytest.fixture
def stored(settings):
    object_id = uuid.uuid4()
    chunks = [AUDIO[i : i + 70_000] for i in range(0, len(AUDIO), 70_000)]
    written = object_write(
        storage_name=f"tests/{object_id}",
        object_id=object_id,
        chunks=chunks,
        max_bytes=10**6,
        digest=True,
    )
    yield written
    path = settings.RECORDING_STORAGE_DIR / written.storage_name
    path.unlink(missing_ok=True)


@pytest.fixture
def read_ahead(monkeypatch):
    """Two segments a read, so a range of five reads ahead on another thread."""
    monkeypatch.setattr("calls.media.objects.READ_SEGMENTS", 2)


def opened(stored):
    return object_open(
        storage_name=stored.storage_name,
        object_id=stored.object_id,
        key_id=stored.key_id,
        wrapped_key=stored.wrapped_key,
        size_bytes=stored.size_bytes,
    )


def test_the_upload_hashes_and_stores_what_it_was_given(stored):
    import hashlib

    assert stored.size_bytes == len(AUDIO)
    assert stored.sha256 == hashlib.sha256(AUDIO).hexdigest()
    assert b"".join(opened(stored).iter_range(0, len(AUDIO) - 1)) == AUDIO


def test_an_object_written_without_digest_keeps_none_and_reads_back_the_same(settings):
    object_id = uuid.uuid4()
    written = object_write(
        storage_name=f"tests/{object_id}",
        object_id=object_id,
        chunks=[AUDIO[:100_000], AUDIO[100_000:]],
        max_bytes=10**6,
        digest=False,
    )
    try:
        assert written.sha256 == "" and written.size_bytes == len(AUDIO)
        assert b"".join(opened(written).iter_range(0, len(AUDIO) - 1)) == AUDIO
    finally:
        (settings.RECORDING_STORAGE_DIR / written.storage_name).unlink(missing_ok=True)


@pytest.mark.parametrize("start, end", [(0, len(AUDIO) - 1), (65_000, 250_001), (131_072, 131_072)])
def test_a_range_read_ahead_returns_exactly_its_bytes(stored, read_ahead, start, end):
    assert b"".join(opened(stored).iter_range(start, end)) == AUDIO[start : end + 1]


def test_a_tampered_segment_read_ahead_stops_before_its_bytes(stored, read_ahead, settings):
    path = settings.RECORDING_STORAGE_DIR / stored.storage_name
    data = bytearray(path.read_bytes())
    data[-70_000] ^= 0x01  # in the fourth segment
    path.write_bytes(bytes(data))
    threads = threading.active_count()
    received = b""
    with pytest.raises(MediaIntegrityError):
        for chunk in opened(stored).iter_range(0, len(AUDIO) - 1):
            received += chunk
    assert received == AUDIO[: 3 * 65_536]
    assert threading.active_count() == threads


def test_a_reader_that_stops_early_ends_the_read_ahead_thread(stored, monkeypatch):
    # One segment a read: six items for a queue of four, so the reader is still at work.
    monkeypatch.setattr("calls.media.objects.READ_SEGMENTS", 1)
    threads = threading.active_count()
    stream = opened(stored).iter_range(0, len(AUDIO) - 1)
    assert next(stream) == AUDIO[:65_536]
    stream.close()
    assert threading.active_count() == threads


@pytest.mark.parametrize("digest", [True, False])
def test_an_upload_that_fails_midway_leaves_no_file_and_no_thread(settings, digest):
    def failing():
        yield os.urandom(200_000)
        raise ConnectionResetError("client went away")

    threads = threading.active_count()
    object_id = uuid.uuid4()
    with pytest.raises(ConnectionResetError):
        object_write(
            storage_name=f"tests/{object_id}",
            object_id=object_id,
            chunks=failing(),
            max_bytes=10**6,
            digest=digest,
        )
    assert not (settings.RECORDING_STORAGE_DIR / f"tests/{object_id}").exists()
    assert threading.active_count() == threads
