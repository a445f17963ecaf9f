"""Data keys wrapped by the key-encryption keys of RECORDING_KEYS (the first one wraps).

A wrapped key is AES-256-GCM(KEK, random 12-byte nonce, data key, aad = "dexem-wrap-v1" | key id |
object id), stored as nonce | ciphertext | tag (60 bytes): it opens only for its own object.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from calls.media.format import IntegrityError

WRAP_CONTEXT = b"dexem-wrap-v1"
DATA_KEY_SIZE = 32


class UnknownKey(IntegrityError):
    """The object's key id is no longer in RECORDING_KEYS."""


@dataclass(frozen=True)
class WrappedKey:
    key_id: str
    wrapped: bytes


def _aad(key_id: str, object_id: uuid.UUID) -> bytes:
    return WRAP_CONTEXT + len(key_id).to_bytes(1, "big") + key_id.encode() + object_id.bytes


def active_key_id() -> str:
    return next(iter(settings.RECORDING_KEYS))


def new_data_key() -> bytes:
    return os.urandom(DATA_KEY_SIZE)


def wrap(data_key: bytes, object_id: uuid.UUID) -> WrappedKey:
    key_id = active_key_id()
    nonce = os.urandom(12)
    sealed = AESGCM(settings.RECORDING_KEYS[key_id]).encrypt(
        nonce, data_key, _aad(key_id, object_id)
    )
    return WrappedKey(key_id=key_id, wrapped=nonce + sealed)


def unwrap(wrapped: WrappedKey, object_id: uuid.UUID) -> bytes:
    kek = settings.RECORDING_KEYS.get(wrapped.key_id)
    if kek is None:
        raise UnknownKey(f"key id {wrapped.key_id!r} is not in RECORDING_KEYS")
    if len(wrapped.wrapped) != 12 + DATA_KEY_SIZE + 16:
        raise IntegrityError("the data key has been destroyed or is malformed")
    try:
        return AESGCM(kek).decrypt(
            wrapped.wrapped[:12], wrapped.wrapped[12:], _aad(wrapped.key_id, object_id)
        )
    except InvalidTag:
        raise IntegrityError("the data key does not open with its key-encryption key") from None
