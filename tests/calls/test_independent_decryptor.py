"""A decryptor written from docs/encryption.md alone (no import of calls.media) opens a stored
recording: the documentation is enough to get the audio back."""

from __future__ import annotations

import base64
import os
import struct
import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from calls.models import Recording
from calls.services import media_store
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
