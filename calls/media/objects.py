"""Writing and reading encrypted objects through the media storage, as streams."""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import uuid
from collections import OrderedDict
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO, Protocol, TypeVar

from calls.media import keys
from calls.media.format import HEADER_SIZE, Decryptor, Header, MediaIntegrityError, encrypt_stream
from calls.media.storage import (
    SizeChanged,
    StreamedFile,
    is_remote,
    media_storage,
    open_span,
    read_exactly,
    read_head,
)

logger = logging.getLogger(__name__)
READ_SEGMENTS = 16  # ~1 MiB read at a time
T = TypeVar("T")


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


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = object()


def _produced_ahead(items: Iterator[T], depth: int = 4) -> Generator[T]:
    """`items`, produced on another thread up to `depth` ahead of the consumer: encrypting the
    next megabyte overlaps writing this one, reading the next overlaps decrypting this one
    (file I/O and the cipher both release the GIL). An error in `items` is raised here; a
    consumer that stops early stops the producer too."""
    channel: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def send(item: object) -> bool:
        while not stop.is_set():
            try:
                channel.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not send(item):
                    return
            send(_END)
        except BaseException as error:  # handed to the consumer's thread, which raises it
            send(_Failed(error))

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        while (item := channel.get()) is not _END:
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()
        close = getattr(items, "close", None)
        if close is not None:
            close()


def _measured(
    chunks: Iterable[bytes], hasher: _ParallelSha256 | None, counter: list[int], max_bytes: int
) -> Iterator[bytes]:
    for chunk in chunks:
        counter[0] += len(chunk)
        if counter[0] > max_bytes:
            raise TooLarge
        chunk = bytes(chunk)
        if hasher is not None:
            hasher.update(chunk)
        yield chunk


def object_encrypt_into_storage(
    *, storage_name: str, object_id: uuid.UUID, data_key: bytes, chunks: Iterable[bytes]
) -> str:
    """Encrypt `chunks` under `data_key` into the storage, a few input chunks in memory at a
    time; returns the name the storage gave it. Nothing is left behind if anything fails."""
    storage = media_storage()
    sealed = _produced_ahead(encrypt_stream(data_key, Header.new(object_id), chunks))
    try:
        return storage.save(storage_name, StreamedFile(sealed, name=storage_name))
    except BaseException:
        # Stop the encrypting thread now, not whenever the traceback lets go of it: it may
        # still be pulling `chunks`, and the caller's clean-up must not race it.
        sealed.close()
        if storage.exists(storage_name):
            storage.delete(storage_name)
        raise


def object_write(
    *,
    storage_name: str,
    object_id: uuid.UUID,
    chunks: Iterable[bytes],
    max_bytes: int,
    digest: bool,
) -> StoredObject:
    """Encrypt `chunks` into the storage under a fresh data key, refusing more than
    `max_bytes`; with `digest`, also hash the plaintext on the way (SHA-256, hex; else "").

    Ask for the digest only when someone reads it (SPEC §5 returns it to an uploader to check
    its upload): on two cores it costs more than the cipher, and every segment is authenticated
    by AES-GCM whether or not it is computed."""
    data_key = keys.new_data_key()
    wrapped = keys.wrap(data_key, object_id)
    hasher, counter = _ParallelSha256() if digest else None, [0]
    try:
        name = object_encrypt_into_storage(
            storage_name=storage_name,
            object_id=object_id,
            data_key=data_key,
            chunks=_measured(chunks, hasher, counter, max_bytes),
        )
    finally:
        hexdigest = hasher.hexdigest() if hasher is not None else ""
    return StoredObject(
        object_id=object_id,
        storage_name=name,
        stored_size=media_storage().size(name),
        size_bytes=counter[0],
        sha256=hexdigest,
        key_id=wrapped.key_id,
        wrapped_key=wrapped.wrapped,
    )


@dataclass
class OpenedObject:
    decryptor: Decryptor
    storage_name: str
    stored_size: int

    @property
    def size(self) -> int:
        return self.decryptor.plaintext_size

    @contextmanager
    def _span(self, offset: int, length: int) -> Iterator[BinaryIO]:
        try:
            with open_span(
                self.storage_name, offset, length, expected_size=self.stored_size
            ) as stored:
                yield stored
        except FileNotFoundError:
            raise MediaIntegrityError("the stored object is missing") from None
        except SizeChanged:
            _forget_header(self.storage_name)
            raise MediaIntegrityError("stored size does not match the recorded size") from None

    def _sealed_runs(self, first: int, last: int) -> Iterator[tuple[int, int, bytes]]:
        """(first index, last index, stored bytes) of runs of up to READ_SEGMENTS segments, all
        read from one span of the stored object (one ranged GET on S3)."""
        decryptor = self.decryptor
        start_offset, _ = decryptor.segment_span(first)
        end_offset, end_length = decryptor.segment_span(last)
        with self._span(start_offset, end_offset + end_length - start_offset) as stored:
            index = first
            while index <= last:
                run_end = min(last, index + READ_SEGMENTS - 1)
                offset, _ = decryptor.segment_span(index)
                run_offset, run_length = decryptor.segment_span(run_end)
                yield index, run_end, read_exactly(stored, run_offset + run_length - offset)
                index = run_end + 1

    def iter_range(self, start: int, end: int) -> Iterator[bytes]:
        """Plaintext bytes start..end (inclusive), decrypting only the segments they lie in.

        Each segment is authenticated before any of its bytes is yielded; a failure raises
        MediaIntegrityError, so nothing unauthenticated ever leaves."""
        decryptor = self.decryptor
        segment_size = decryptor.header.segment_size
        first, last = start // segment_size, end // segment_size
        runs = self._sealed_runs(first, last)
        if last - first >= READ_SEGMENTS:  # more than one read: read ahead on another thread
            runs = _produced_ahead(runs)
        for run_start, run_end, stored in runs:
            block, offset = memoryview(stored), decryptor.segment_span(run_start)[0]
            for current in range(run_start, run_end + 1):
                at, length = decryptor.segment_span(current)
                sealed = block[at - offset : at - offset + length]
                if len(sealed) != length:
                    raise MediaIntegrityError(f"segment {current} truncated")
                plaintext = decryptor.open(current, sealed)
                base = current * segment_size
                low, high = max(start - base, 0), min(end - base, len(plaintext) - 1) + 1
                yield plaintext if (low, high) == (0, len(plaintext)) else plaintext[low:high]


def object_open(
    *, storage_name: str, object_id: uuid.UUID, key_id: str, wrapped_key: bytes, size_bytes: int
) -> OpenedObject:
    """Check what can be checked up front (key, header, size) and get ready to decrypt."""
    data_key = keys.unwrap(keys.WrappedKey(key_id=key_id, wrapped=bytes(wrapped_key)), object_id)
    cached = _headers.get((storage_name, object_id))
    if cached is None:
        try:
            # The header and the stored size in one request (one ranged GET on S3).
            header, stored_size = read_head(storage_name, HEADER_SIZE)
        except FileNotFoundError:
            raise MediaIntegrityError("the stored object is missing") from None
    else:
        header, stored_size = cached
    decryptor = Decryptor(
        data_key, header, object_id=object_id, stored_size=stored_size, plaintext_size=size_bytes
    )
    if cached is None and is_remote():
        _remember_header(storage_name, object_id, header, stored_size)
    return OpenedObject(decryptor=decryptor, storage_name=storage_name, stored_size=stored_size)


# On S3 the header is a round trip of its own, and a player sends Range after Range: once it has
# passed the checks, a process keeps (header, stored size) of the objects it opened last. Safe,
# because the header is bound into every segment's authenticated data (a changed header fails
# them all) and every span read checks the object's size again before a byte is used.
HEADER_CACHE_SIZE = 4096
_headers: OrderedDict[tuple[str, uuid.UUID], tuple[bytes, int]] = OrderedDict()
_headers_lock = threading.Lock()


def _remember_header(name: str, object_id: uuid.UUID, header: bytes, stored_size: int) -> None:
    with _headers_lock:
        _headers[(name, object_id)] = (header, stored_size)
        _headers.move_to_end((name, object_id))
        while len(_headers) > HEADER_CACHE_SIZE:
            _headers.popitem(last=False)


def _forget_header(name: str) -> None:
    with _headers_lock:
        for key in [key for key in _headers if key[0] == name]:
            del _headers[key]


class SealedRecord(Protocol):
    """A row describing one encrypted object: a Recording, a VoiceMessage, an ExportJob."""

    # Read-only members, so a model's field types (a BinaryField reads as bytes or memoryview)
    # match.
    @property
    def pk(self) -> uuid.UUID: ...
    @property
    def storage_name(self) -> str: ...
    @property
    def key_id(self) -> str: ...
    @property
    def wrapped_key(self) -> bytes | memoryview: ...
    @property
    def size_bytes(self) -> int: ...


def stored_object_open(record: SealedRecord) -> OpenedObject:
    """The record's object, ready to decrypt; raises MediaIntegrityError for a tampered, truncated or
    unkeyed object (UnknownKey, one of them, when its key id is not configured)."""
    return object_open(
        storage_name=record.storage_name,
        object_id=record.pk,
        key_id=record.key_id,
        wrapped_key=bytes(record.wrapped_key),
        size_bytes=record.size_bytes,
    )


def object_delete(storage_name: str) -> None:
    _forget_header(storage_name)
    storage = media_storage()
    if storage.exists(storage_name):
        storage.delete(storage_name)
