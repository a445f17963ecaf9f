"""The encrypted-media format under attack, in the style of Tink's streaming AEAD tests."""

from __future__ import annotations

import os
import uuid

import pytest

from calls.media.format import (
    HEADER_SIZE,
    TAG_SIZE,
    Decryptor,
    Header,
    MediaIntegrityError,
    ciphertext_size,
    encrypt_stream,
)

SEGMENT = 64  # small segments make boundaries cheap to test


def seal(plaintext: bytes, *, key: bytes, object_id: uuid.UUID, pieces: int = 7) -> bytes:
    chunks = [plaintext[i : i + pieces] for i in range(0, len(plaintext), pieces)] or [b""]
    return b"".join(encrypt_stream(key, Header.new(object_id, SEGMENT), chunks))


def open_all(sealed: bytes, *, key: bytes, object_id: uuid.UUID, size: int) -> bytes:
    decryptor = Decryptor(
        key, sealed[:HEADER_SIZE], object_id=object_id, stored_size=len(sealed), plaintext_size=size
    )
    out = b""
    for index in range(decryptor.segments):
        offset, length = decryptor.segment_span(index)
        out += decryptor.open(index, sealed[offset : offset + length])
    return out


@pytest.fixture
def key() -> bytes:
    return os.urandom(32)


@pytest.fixture
def oid() -> uuid.UUID:
    return uuid.uuid4()


@pytest.mark.parametrize(
    "size",
    [
        0,
        1,
        SEGMENT - 1,
        SEGMENT,
        SEGMENT + 1,
        2 * SEGMENT - 1,
        2 * SEGMENT,
        2 * SEGMENT + 1,
        10 * SEGMENT + 3,
    ],
)
@pytest.mark.parametrize("pieces", [7, SEGMENT, 3 * SEGMENT + 5, 100 * SEGMENT])
def test_round_trip_at_every_boundary(key, oid, size, pieces):
    plaintext = os.urandom(size)
    sealed = seal(plaintext, key=key, object_id=oid, pieces=pieces)
    assert len(sealed) == ciphertext_size(size, SEGMENT)
    assert open_all(sealed, key=key, object_id=oid, size=size) == plaintext


def test_an_empty_plaintext_is_one_empty_final_segment(key, oid):
    sealed = seal(b"", key=key, object_id=oid)
    assert len(sealed) == HEADER_SIZE + TAG_SIZE


def test_the_same_plaintext_never_encrypts_the_same_way(key, oid):
    assert seal(b"x" * 100, key=key, object_id=oid) != seal(b"x" * 100, key=key, object_id=oid)


@pytest.fixture
def sample(key, oid):
    plaintext = os.urandom(5 * SEGMENT + 17)
    return plaintext, seal(plaintext, key=key, object_id=oid)


def refused(sealed: bytes, *, key: bytes, object_id: uuid.UUID, size: int) -> bool:
    try:
        open_all(sealed, key=key, object_id=object_id, size=size)
    except MediaIntegrityError:
        return True
    return False


def test_truncation_at_every_offset_is_refused(key, oid, sample):
    plaintext, sealed = sample
    for cut in range(len(sealed)):
        assert refused(sealed[:cut], key=key, object_id=oid, size=len(plaintext)), cut


def test_truncation_at_a_segment_boundary_with_a_matching_size_is_refused(key, oid, sample):
    # Claim the shorter length too: the new last segment was sealed as "not last".
    _, sealed = sample
    cut = HEADER_SIZE + 3 * (SEGMENT + TAG_SIZE)
    assert refused(sealed[:cut], key=key, object_id=oid, size=3 * SEGMENT)


@pytest.mark.parametrize("extra", [b"\x00", b"garbage" * 3, os.urandom(SEGMENT + TAG_SIZE)])
def test_appended_bytes_are_refused(key, oid, sample, extra):
    plaintext, sealed = sample
    assert refused(sealed + extra, key=key, object_id=oid, size=len(plaintext))


def test_a_bit_flipped_anywhere_is_refused(key, oid, sample):
    plaintext, sealed = sample
    for position in list(range(HEADER_SIZE)) + list(range(HEADER_SIZE, len(sealed), 7)):
        tampered = bytearray(sealed)
        tampered[position] ^= 0x01
        assert refused(bytes(tampered), key=key, object_id=oid, size=len(plaintext)), position


def _segments(sealed: bytes) -> list[bytes]:
    body = sealed[HEADER_SIZE:]
    step = SEGMENT + TAG_SIZE
    return [body[i : i + step] for i in range(0, len(body), step)]


def test_dropped_duplicated_or_reordered_segments_are_refused(key, oid, sample):
    plaintext, sealed = sample
    header, segments = sealed[:HEADER_SIZE], _segments(sealed)
    full = segments[:-1]
    variants = [
        full[:1] + full[2:] + segments[-1:],  # one dropped, with the size that matches
        full[:2] + full[1:2] + full[2:] + segments[-1:],  # one duplicated
        [full[1], full[0], *full[2:], segments[-1]],  # two swapped
    ]
    sizes = [len(plaintext) - SEGMENT, len(plaintext) + SEGMENT, len(plaintext)]
    for variant, size in zip(variants, sizes, strict=True):
        assert refused(header + b"".join(variant), key=key, object_id=oid, size=size)


def test_a_file_swapped_with_another_objects_is_refused_even_under_the_same_key(key, oid, sample):
    plaintext, _ = sample
    other = seal(plaintext, key=key, object_id=uuid.uuid4())
    assert refused(other, key=key, object_id=oid, size=len(plaintext))


def test_segments_spliced_from_another_object_are_refused(key, oid, sample):
    plaintext, sealed = sample
    other = seal(plaintext, key=key, object_id=uuid.uuid4())
    spliced = sealed[:HEADER_SIZE] + b"".join([_segments(other)[0], *_segments(sealed)[1:]])
    assert refused(spliced, key=key, object_id=oid, size=len(plaintext))


def test_the_wrong_key_is_refused(oid, sample):
    plaintext, sealed = sample
    assert refused(sealed, key=os.urandom(32), object_id=oid, size=len(plaintext))
