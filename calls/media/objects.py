"""Writing and reading encrypted objects through the media storage, as streams."""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from calls.media import keys
from calls.media.format import HEADER_SIZE, Decryptor, Header, IntegrityError, encrypt_stream
from calls.media.storage import StreamedFile, media_storage

logger = logging.getLogger(__name__)
READ_SEGMENTS = 16  # ~1 MiB read at a time


class TooLarge(Exception):
    """The upload went past the size limit; nothing was kept."""


@dataclass(frozen=True)
class StoredObject:
    object_id: uuid.UUID
    storage_name: str
    stored_size: int
    size_bytes: int
    sha256: str
    key_id: str
    wrapped_key: bytes


class _ParallelSha256:
    """SHA-256 on another core: hashlib releases the GIL, so hashing overlaps encryption.

    The queue is bounded, so memory stays at a few chunks whatever the size of the upload."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            self._hash.update(chunk)

    def update(self, chunk: bytes) -> None:
        self._queue.put(chunk)

    def hexdigest(self) -> str:
        self._queue.put(None)
        self._thread.join()
        return self._hash.hexdigest()


def _measured(
    chunks: Iterable[bytes], hasher: _ParallelSha256, counter: list[int], max_bytes: int
) -> Iterator[bytes]:
    for chunk in chunks:
        counter[0] += len(chunk)
        if counter[0] > max_bytes:
            raise TooLarge
        chunk = bytes(chunk)
        hasher.update(chunk)
        yield chunk


def object_write(
    *, storage_name: str, object_id: uuid.UUID, chunks: Iterable[bytes], max_bytes: int
) -> StoredObject:
    """Encrypt `chunks` into the storage under a fresh data key; memory stays at one segment."""
    data_key = keys.new_data_key()
    wrapped = keys.wrap(data_key, object_id)
    hasher, counter = _ParallelSha256(), [0]
    sealed = encrypt_stream(
        data_key, Header.new(object_id), _measured(chunks, hasher, counter, max_bytes)
    )
    storage = media_storage()
    try:
        name = storage.save(storage_name, StreamedFile(sealed, name=storage_name))
        digest = hasher.hexdigest()
    except BaseException:
        hasher.hexdigest()
        if storage.exists(storage_name):
            storage.delete(storage_name)
        raise
    return StoredObject(
        object_id=object_id,
        storage_name=name,
        stored_size=storage.size(name),
        size_bytes=counter[0],
        sha256=digest,
        key_id=wrapped.key_id,
        wrapped_key=wrapped.wrapped,
    )


@dataclass
class OpenedObject:
    decryptor: Decryptor
    storage_name: str

    @property
    def size(self) -> int:
        return self.decryptor.plaintext_size

    def iter_range(self, start: int, end: int) -> Iterator[bytes]:
        """Plaintext bytes start..end (inclusive), decrypting only the segments they lie in.

        Each segment is authenticated before any of its bytes is yielded; a failure raises
        IntegrityError, so nothing unauthenticated ever leaves."""
        decryptor = self.decryptor
        segment_size = decryptor.header.segment_size
        first, last = start // segment_size, end // segment_size
        with media_storage().open(self.storage_name, "rb") as stored:
            index = first
            while index <= last:
                # Read a run of segments at once: fewer, larger reads; decrypted one by one.
                run_end = min(last, index + READ_SEGMENTS - 1)
                offset, _ = decryptor.segment_span(index)
                end_offset, end_length = decryptor.segment_span(run_end)
                stored.seek(offset)
                block = memoryview(stored.read(end_offset + end_length - offset))
                for current in range(index, run_end + 1):
                    at, length = decryptor.segment_span(current)
                    sealed = block[at - offset : at - offset + length]
                    if len(sealed) != length:
                        raise IntegrityError(f"segment {current} truncated")
                    plaintext = decryptor.open(current, sealed)
                    base = current * segment_size
                    low, high = max(start - base, 0), min(end - base, len(plaintext) - 1) + 1
                    yield plaintext if (low, high) == (0, len(plaintext)) else plaintext[low:high]
                index = run_end + 1


def object_open(
    *, storage_name: str, object_id: uuid.UUID, key_id: str, wrapped_key: bytes, size_bytes: int
) -> OpenedObject:
    """Check what can be checked up front (key, header, size) and get ready to decrypt."""
    data_key = keys.unwrap(keys.WrappedKey(key_id=key_id, wrapped=bytes(wrapped_key)), object_id)
    storage = media_storage()
    try:
        stored_size = storage.size(storage_name)
        with storage.open(storage_name, "rb") as stored:
            header = stored.read(HEADER_SIZE)
    except FileNotFoundError:
        raise IntegrityError("the stored object is missing") from None
    decryptor = Decryptor(
        data_key, header, object_id=object_id, stored_size=stored_size, plaintext_size=size_bytes
    )
    return OpenedObject(decryptor=decryptor, storage_name=storage_name)


def object_delete(storage_name: str) -> None:
    storage = media_storage()
    if storage.exists(storage_name):
        storage.delete(storage_name)
