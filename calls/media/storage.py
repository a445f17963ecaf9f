"""Where encrypted objects live: a Django storage outside any web-served folder.

`RECORDING_STORAGE=filesystem` (the default) keeps them under RECORDING_STORAGE_DIR;
`RECORDING_STORAGE=s3` keeps them in an S3-compatible bucket through django-storages (SPEC §15).
Either way objects are written as streams (a multipart upload on S3, a few parts in memory at a
time) and read by byte spans (`read_head`, `open_span`: one ranged GET on S3), so playback of a
Range fetches only the segments it needs.
"""

from __future__ import annotations

import functools
import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage
from django.core.signals import setting_changed
from django.dispatch import receiver

FILESYSTEM = "filesystem"
S3 = "s3"
# S3 refuses parts under 5 MiB (but the last); 5 MiB parts allow objects up to 48 GiB (10,000
# parts). An upload holds at most two parts read ahead while two upload: about 25 MiB with the
# encryptor's read-ahead, whatever the size of the object.
S3_PART_SIZE = 5 * 1024 * 1024
S3_PARTS_IN_MEMORY = 2
_CONTENT_RANGE_TOTAL = re.compile(r"/(\d+)\s*$")


def filesystem_storage() -> FileSystemStorage:
    return FileSystemStorage(
        location=settings.RECORDING_STORAGE_DIR,
        file_permissions_mode=0o600,
        directory_permissions_mode=0o700,
    )


def s3_storage() -> Storage:
    """The bucket of the S3_* settings, whichever storage is in use (moving recordings needs it
    while the filesystem still serves)."""
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config
    from storages.backends.s3 import S3Storage

    if not settings.S3_BUCKET:
        raise ImproperlyConfigured("S3_BUCKET is required to use S3-compatible storage.")
    transfer = TransferConfig(
        multipart_threshold=S3_PART_SIZE,
        multipart_chunksize=S3_PART_SIZE,
        max_concurrency=2,
    )
    # A stream that cannot seek is read part by part into memory; bound how many parts wait.
    transfer.max_in_memory_upload_chunks = S3_PARTS_IN_MEMORY
    return S3Storage(
        bucket_name=settings.S3_BUCKET,
        endpoint_url=settings.S3_ENDPOINT_URL or None,
        access_key=settings.S3_ACCESS_KEY_ID or None,
        secret_key=settings.S3_SECRET_ACCESS_KEY or None,
        region_name=settings.S3_REGION or None,
        # Objects are private: nothing is ever served from the bucket by URL.
        default_acl=None,
        querystring_auth=True,
        # Like the filesystem, never replace an object that is already there.
        file_overwrite=False,
        client_config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 5, "mode": "standard"},
            max_pool_connections=16,
        ),
        transfer_config=transfer,
    )


@functools.cache
def media_storage() -> Storage:
    if settings.RECORDING_STORAGE == S3:
        return s3_storage()
    return filesystem_storage()


@receiver(setting_changed)
def _forget_storage(*, setting: str, **kwargs: Any) -> None:
    if setting == "RECORDING_STORAGE" or setting.startswith(("RECORDING_STORAGE_", "S3_")):
        media_storage.cache_clear()


def _is_s3(storage: Storage) -> bool:
    return hasattr(storage, "bucket_name") and hasattr(storage, "connection")


def _s3_key(storage: Any, name: str) -> str:
    from storages.utils import clean_name

    return storage._normalize_name(clean_name(name))


def _s3_get(storage: Any, name: str, first: int, last: int) -> dict[str, Any] | None:
    """GET bytes first..last (inclusive) of an object: None when the range starts past its end."""
    from botocore.exceptions import ClientError

    client = storage.connection.meta.client
    try:
        return client.get_object(
            Bucket=storage.bucket_name, Key=_s3_key(storage, name), Range=f"bytes={first}-{last}"
        )
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        # Only a missing key is a missing object: a missing bucket or a refused credential is
        # a configuration fault, raised as is, never taken for a damaged recording.
        if code == "NoSuchKey":
            raise FileNotFoundError(name) from None
        if code == "InvalidRange" or status == 416:
            return None
        raise


def read_head(name: str, length: int, *, storage: Storage | None = None) -> tuple[bytes, int]:
    """The first `length` bytes of an object (fewer if it is shorter) and its total size, in one
    request on S3. Raises FileNotFoundError for a missing object."""
    storage = storage or media_storage()
    if not _is_s3(storage):
        with storage.open(name, "rb") as stored:
            return stored.read(length), storage.size(name)
    response = _s3_get(storage, name, 0, length - 1)
    if response is None:  # an empty object: no byte 0 to range over
        return b"", storage.size(name)
    with response["Body"] as body:
        head = body.read()
    match = _CONTENT_RANGE_TOTAL.search(response.get("ContentRange") or "")
    return head, int(match.group(1)) if match else int(response["ContentLength"])


class SizeChanged(Exception):
    """The object's size is no longer the one it was opened with."""


def is_remote(storage: Storage | None = None) -> bool:
    """Whether each read is a network round trip (S3), worth saving."""
    return _is_s3(storage or media_storage())


@contextmanager
def open_span(
    name: str,
    offset: int,
    length: int,
    *,
    expected_size: int | None = None,
    storage: Storage | None = None,
) -> Iterator[BinaryIO]:
    """A stream of the object's bytes offset..offset+length-1, read in whatever pieces the caller
    wants: one ranged GET on S3, a seek on disk. A span past the end reads short, so the caller
    sees the truncation; on S3 the object's total size comes with the bytes, and SizeChanged is
    raised before any of them when it is not `expected_size`. FileNotFoundError: no object."""
    storage = storage or media_storage()
    if not _is_s3(storage):
        with storage.open(name, "rb") as stored:
            stored.seek(offset)
            yield stored
        return
    response = _s3_get(storage, name, offset, offset + length - 1) if length > 0 else None
    if response is None:
        yield io.BytesIO(b"")
        return
    body = response["Body"]
    match = _CONTENT_RANGE_TOTAL.search(response.get("ContentRange") or "")
    if expected_size is not None and match and int(match.group(1)) != expected_size:
        body.close()
        raise SizeChanged(name)
    try:
        yield body
    finally:
        body.close()


def read_exactly(stream: BinaryIO, size: int) -> bytes:
    """`size` bytes, or fewer only at the end of the stream (a network read may come in pieces)."""
    data = stream.read(size)
    if len(data) == size or not data:
        return data
    pieces = [data]
    got = len(data)
    while got < size and (more := stream.read(size - got)):
        pieces.append(more)
        got += len(more)
    return b"".join(pieces)


def storage_describe(storage: Storage) -> str:
    """For operators' messages: which storage, never a credential."""
    if _is_s3(storage):
        endpoint = getattr(storage, "endpoint_url", None) or "AWS"
        return f"S3 bucket {storage.bucket_name!r} at {endpoint}"  # type: ignore[attr-defined]
    return f"folder {os.fspath(storage.location)}"  # type: ignore[attr-defined]


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
    """A File whose content is produced chunk by chunk, never held whole.

    Not seekable: the S3 storage then uploads it as a multipart upload of fixed-size parts read
    one after the other, and the filesystem storage writes what chunks() yields."""

    def __init__(self, chunks: Iterator[bytes], name: str) -> None:
        self._source = chunks
        super().__init__(io.BufferedReader(_ChunkReader(chunks), buffer_size=256 * 1024), name=name)

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        # FileSystemStorage writes what chunks() yields: hand it our chunks as they come.
        yield from self._source
