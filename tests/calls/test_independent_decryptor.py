"""A decryptor written from docs/encryption.md alone (no import of calls.media) opens a stored
recording: the documentation is enough to get the audio back."""

from __future__ import annotations

import base64
import os
import struct
import uuid

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from calls.models import Recording
from calls.services import media_store
from dexem.settings.env import parse_recording_keys
from tests.factories import CallFactory


def decrypt_from_the_docs(
    stored: bytes, *, kek: bytes, key_id: str, wrapped: bytes, object_id: bytes, length: int
) -> bytes:
    aad = b"dexem-wrap-v1" + bytes([len(key_id.encode())]) + key_id.encode() + object_id
    data_key = AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], aad)
    header = stored[:32]
    assert header[:4] == b"DXMA" and header[4] == 1
    segment_size = struct.unpack(">I", header[5:9])[0]
    prefix, header_object_id = header[9:16], header[16:32]
    assert header_object_id == object_id
    count = max(1, -(-length // segment_size))
    assert len(stored) == 32 + length + 16 * count
    plaintext = b""
    for index in range(count):
        last = 1 if index == count - 1 else 0
        start = 32 + index * (segment_size + 16)
        end = len(stored) if last else start + segment_size + 16
        suffix = struct.pack(">I", index) + bytes([last])
        plaintext += AESGCM(data_key).decrypt(prefix + suffix, stored[start:end], header + suffix)
    return plaintext


def test_the_documented_format_decrypts_a_stored_recording(acme):
    audio = os.urandom(200_000)
    call = CallFactory(client=acme)
    media_store(
        call=call,
        kind="recording",
        content_type="audio/wav",
        chunks=[audio[:70_000], audio[70_000:]],
    )
    recording = Recording.objects.across_clients().get(call=call)
    stored = (settings.RECORDING_STORAGE_DIR / recording.storage_name).read_bytes()
    assert audio[:1000] not in stored
    kek = settings.RECORDING_KEYS[recording.key_id]
    plaintext = decrypt_from_the_docs(
        stored,
        kek=kek,
        key_id=recording.key_id,
        wrapped=bytes(recording.wrapped_key),
        object_id=uuid.UUID(str(recording.pk)).bytes,
        length=recording.size_bytes,
    )
    assert plaintext == audio
    assert base64.b64encode(kek)  # the key came from RECORDING_KEYS, as documented


def test_a_key_id_using_every_kind_of_character_the_parser_allows_decrypts_from_the_docs(
    acme, settings
):
    # The doc puts the key id's length in bytes into the wrap's authenticated data; every id
    # RECORDING_KEYS accepts must give the same answer in bytes and in characters.
    key_id = "Q4-2026.rotation_B~!" + "x" * 44  # 64 characters, letters, digits, punctuation
    kek = os.urandom(32)
    settings.RECORDING_KEYS = parse_recording_keys(f"{key_id}:{base64.b64encode(kek).decode()}")
    call = CallFactory(client=acme)
    media_store(call=call, kind="recording", content_type="audio/wav", chunks=[b"ascii id"])
    recording = Recording.objects.for_client(call.client).get(call=call)
    assert recording.key_id == key_id
    stored = (settings.RECORDING_STORAGE_DIR / recording.storage_name).read_bytes()
    assert (
        decrypt_from_the_docs(
            stored,
            kek=kek,
            key_id=key_id,
            wrapped=bytes(recording.wrapped_key),
            object_id=uuid.UUID(str(recording.pk)).bytes,
            length=recording.size_bytes,
        )
        == b"ascii id"
    )


@pytest.mark.parametrize("key_id", ["clé", "ключ", "key id", "k" * 65])
def test_recording_keys_refuses_a_key_id_that_is_not_short_printable_ascii(key_id):
    encoded = base64.b64encode(os.urandom(32)).decode()
    with pytest.raises(ImproperlyConfigured, match="RECORDING_KEYS key ids must be"):
        parse_recording_keys(f"{key_id}:{encoded}")
