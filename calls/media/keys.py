"""Data keys wrapped by the key-encryption keys of RECORDING_KEYS (the first one wraps).

A wrapped key is AES-256-GCM(KEK, random 12-byte nonce, data key, aad = "dexem-wrap-v1" |
len(key id) | key id | object id), stored as nonce | ciphertext | tag (60 bytes): it opens only for its own object.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from calls.media.format import MediaIntegrityError

logger = logging.getLogger(__name__)

WRAP_CONTEXT = b"dexem-wrap-v1"
DATA_KEY_SIZE = 32


class UnknownKey(MediaIntegrityError):
    """The object's key id is not in RECORDING_KEYS: a configuration mistake, not tampering.

    Callers that can tell answer it apart (a "key not configured" error, not an integrity one); it
    stays an MediaIntegrityError so any other caller still refuses the object rather than crash."""

    def __init__(self, key_id: str) -> None:
        super().__init__(f"key id {key_id!r} is not in RECORDING_KEYS")
        self.key_id = key_id


@dataclass(frozen=True)
class WrappedKey:
    key_id: str
    wrapped: bytes


def _aad(key_id: str, object_id: uuid.UUID) -> bytes:
    # The length in bytes, as documented (RECORDING_KEYS ids are ASCII, so also in characters).
    encoded = key_id.encode()
    return WRAP_CONTEXT + len(encoded).to_bytes(1, "big") + encoded + object_id.bytes


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
        # The key id names a configuration entry, never a person: an operator can act on it.
        logger.error(
            "recording key not configured",
            extra={"key_id": wrapped.key_id, "object_id": str(object_id)},
        )
        raise UnknownKey(wrapped.key_id)
    if len(wrapped.wrapped) != 12 + DATA_KEY_SIZE + 16:
        raise MediaIntegrityError("the data key has been destroyed or is malformed")
    try:
        return AESGCM(kek).decrypt(
            wrapped.wrapped[:12], wrapped.wrapped[12:], _aad(wrapped.key_id, object_id)
        )
    except InvalidTag:
        raise MediaIntegrityError(
            "the data key does not open with its key-encryption key"
        ) from None
