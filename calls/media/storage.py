"""Where encrypted objects live: a Django storage outside any web-served folder.

The filesystem by default (RECORDING_STORAGE_DIR); any Django storage (S3-compatible through
django-storages, say) can take its place, since objects are written and read as streams.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage


@functools.cache
def media_storage() -> Storage:
    return FileSystemStorage(
        location=settings.RECORDING_STORAGE_DIR,
        file_permissions_mode=0o600,
        directory_permissions_mode=0o700,
    )


class _ChunkReader(io.RawIOBase):
    """A read-only file over an iterator of byte chunks, so a storage can pull what we produce."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: memoryview) -> int:  # type: ignore[override]
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


class StreamedFile(File):
    """A File whose content is produced chunk by chunk, never held whole."""

    def __init__(self, chunks: Iterator[bytes], name: str) -> None:
        self._source = chunks
        super().__init__(io.BufferedReader(_ChunkReader(chunks), buffer_size=256 * 1024), name=name)

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        # FileSystemStorage writes what chunks() yields: hand it our chunks as they come.
        yield from self._source
