"""The encrypted-media file format (docs/encryption.md), streaming AES-256-GCM in segments.

Chosen after Tink's AES-GCM-HKDF streaming AEAD (a per-file nonce prefix, a segment counter and a
last-segment flag in each nonce) and age's STREAM (a fresh random key per file, a final segment
that may be empty, so truncation at any offset is detected). Unlike Tink we draw a random data key
per object instead of deriving one with HKDF, since the key is stored wrapped beside the object
anyway; like the AWS Encryption SDK's frames, every segment's authenticated data also carries the
header, hence the object id: a file swapped with another object's is refused.

    header  = magic "DXMA" | version 0x01 | segment size (uint32 BE) | nonce prefix (7 bytes)
              | object id (16 bytes)                                              = 32 bytes
    segment = AES-256-GCM(data key, nonce, plaintext segment, aad) = ciphertext | tag (16 bytes)
    nonce   = nonce prefix (7) | segment index (uint32 BE) | last flag (0x00 or 0x01)
    aad     = header | segment index (uint32 BE) | last flag
"""

from __future__ import annotations

import os
import struct
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"DXMA"
VERSION = 1
HEADER_SIZE = 32
TAG_SIZE = 16
NONCE_PREFIX_SIZE = 7
DEFAULT_SEGMENT_SIZE = 64 * 1024
MAX_SEGMENTS = 2**32
_HEADER = struct.Struct(">4sBI7s16s")


class MediaIntegrityError(Exception):
    """The stored object is not what was written: tampered, truncated, swapped or wrong key."""


@dataclass(frozen=True)
class Header:
    segment_size: int
    nonce_prefix: bytes
    object_id: uuid.UUID

    def pack(self) -> bytes:
        return _HEADER.pack(
            MAGIC, VERSION, self.segment_size, self.nonce_prefix, self.object_id.bytes
        )

    @classmethod
    def unpack(cls, data: bytes, *, expected_object_id: uuid.UUID) -> Header:
        if len(data) != HEADER_SIZE:
            raise MediaIntegrityError("header truncated")
        magic, version, segment_size, prefix, object_id = _HEADER.unpack(data)
        if magic != MAGIC or version != VERSION or not 16 <= segment_size <= 2**24:
            raise MediaIntegrityError("not an encrypted object of a known version")
        if object_id != expected_object_id.bytes:
            raise MediaIntegrityError("the object belongs to another record")
        return cls(segment_size=segment_size, nonce_prefix=prefix, object_id=expected_object_id)

    @classmethod
    def new(cls, object_id: uuid.UUID, segment_size: int = DEFAULT_SEGMENT_SIZE) -> Header:
        return cls(
            segment_size=segment_size,
            nonce_prefix=os.urandom(NONCE_PREFIX_SIZE),
            object_id=object_id,
        )


def _nonce_and_aad(
    header_bytes: bytes, prefix: bytes, index: int, last: bool
) -> tuple[bytes, bytes]:
    if index >= MAX_SEGMENTS:
        raise ValueError("object too large for the format")
    suffix = struct.pack(">IB", index, 1 if last else 0)
    return prefix + suffix, header_bytes + suffix


def ciphertext_size(plaintext_size: int, segment_size: int) -> int:
    segments = max(1, -(-plaintext_size // segment_size))
    return HEADER_SIZE + plaintext_size + segments * TAG_SIZE


def segment_count(plaintext_size: int, segment_size: int) -> int:
    return max(1, -(-plaintext_size // segment_size))


class Encryptor:
    """Feed plaintext in any pieces; get the header, then sealed segments in runs: whatever one
    piece completes comes out as one buffer, so a 1 MiB piece is one write to the storage."""

    def __init__(self, key: bytes, header: Header) -> None:
        self._aead = AESGCM(key)
        self._header = header
        self._header_bytes = header.pack()
        self._pending = bytearray()
        self._index = 0
        self.plaintext_size = 0

    def start(self) -> bytes:
        return self._header_bytes

    def _seal_into(
        self, plaintext: bytes | bytearray | memoryview, last: bool, out: memoryview
    ) -> None:
        nonce, aad = _nonce_and_aad(
            self._header_bytes, self._header.nonce_prefix, self._index, last
        )
        self._index += 1
        self._aead.encrypt_into(nonce, plaintext, aad, out)

    def update(self, data: bytes | memoryview) -> Iterator[bytearray]:
        """The sealed segments that `data` completes, as one buffer. A full segment is kept back
        until more arrives, because only then is it known not to be the last."""
        self.plaintext_size += len(data)
        view, size = memoryview(data), self._header.segment_size
        if len(self._pending) < size:
            take = min(size - len(self._pending), len(view))
            self._pending += view[:take]
            view = view[take:]
        if not view:
            return
        # The pending segment is full and more follows: it goes, with every whole segment of
        # `view` but the one that might be the last.
        whole = (len(view) - 1) // size
        out = bytearray((1 + whole) * (size + TAG_SIZE))
        target = memoryview(out)
        self._seal_into(self._pending, False, target[: size + TAG_SIZE])
        for n in range(whole):
            at = (1 + n) * (size + TAG_SIZE)
            self._seal_into(
                view[n * size : (n + 1) * size], False, target[at : at + size + TAG_SIZE]
            )
        self._pending = bytearray(view[whole * size :])
        yield out

    def finish(self) -> bytes:
        """The last segment (possibly holding no plaintext at all)."""
        out = bytearray(len(self._pending) + TAG_SIZE)
        self._seal_into(self._pending, True, memoryview(out))
        return bytes(out)


def encrypt_stream(key: bytes, header: Header, chunks: Iterable[bytes]) -> Iterator[bytes]:
    encryptor = Encryptor(key, header)
    yield encryptor.start()
    for chunk in chunks:
        # Each segment leaves as the bytearray it was sealed into: a copy to bytes would cost
        # the pipeline one more pass over every byte.
        yield from encryptor.update(chunk)  # type: ignore[misc]
    yield encryptor.finish()


class Decryptor:
    """Opens the segments of one stored object; each is authenticated before any byte is used."""

    def __init__(
        self,
        key: bytes,
        header_bytes: bytes,
        *,
        object_id: uuid.UUID,
        stored_size: int,
        plaintext_size: int,
    ) -> None:
        self.header = Header.unpack(header_bytes, expected_object_id=object_id)
        self._header_bytes = header_bytes
        self._aead = AESGCM(key)
        self.plaintext_size = plaintext_size
        self.segments = segment_count(plaintext_size, self.header.segment_size)
        # Appended or removed bytes are refused up front, before anything is decrypted.
        if stored_size != ciphertext_size(plaintext_size, self.header.segment_size):
            raise MediaIntegrityError("stored size does not match the recorded size")
        self.segments_decrypted = 0

    def segment_span(self, index: int) -> tuple[int, int]:
        """(offset in the stored object, stored length) of segment `index`."""
        size = self.header.segment_size
        offset = HEADER_SIZE + index * (size + TAG_SIZE)
        plain = min(size, self.plaintext_size - index * size) if self.plaintext_size else 0
        return offset, plain + TAG_SIZE

    def open(self, index: int, sealed: bytes | memoryview) -> bytes:
        last = index == self.segments - 1
        nonce, aad = _nonce_and_aad(self._header_bytes, self.header.nonce_prefix, index, last)
        self.segments_decrypted += 1
        try:
            return self._aead.decrypt(nonce, sealed, aad)
        except InvalidTag:
            raise MediaIntegrityError(f"segment {index} failed authentication") from None
