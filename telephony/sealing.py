"""Provider auth tokens sealed under the RECORDING_KEYS ring (the first key seals, all open).

sealed = nonce (12) | AES-256-GCM(KEK, nonce, token, aad = "dexem-telephony-token-v1" | key id
| account id): a sealed token opens only for the account it was sealed for.
"""

from __future__ import annotations

import functools
import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from calls.media.keys import UnknownKey, active_key_id

CONTEXT = b"dexem-telephony-token-v1"


class TokenUnreadable(Exception):
    """The sealed token does not open: its key left RECORDING_KEYS, or it was tampered with."""


def _aad(key_id: str, account_id: uuid.UUID) -> bytes:
    return CONTEXT + len(key_id).to_bytes(1, "big") + key_id.encode() + account_id.bytes


def token_seal(token: str, *, account_id: uuid.UUID) -> tuple[str, bytes]:
    key_id = active_key_id()
    nonce = os.urandom(12)
    sealed = AESGCM(settings.RECORDING_KEYS[key_id]).encrypt(
        nonce, token.encode(), _aad(key_id, account_id)
    )
    return key_id, nonce + sealed


def token_open(*, key_id: str, sealed: bytes, account_id: uuid.UUID) -> str:
    kek = settings.RECORDING_KEYS.get(key_id)
    if kek is None:
        raise TokenUnreadable(str(UnknownKey(f"key id {key_id!r} is not in RECORDING_KEYS")))
    return _opened(kek, key_id, bytes(sealed), account_id)


@functools.lru_cache(maxsize=1024)
def _opened(kek: bytes, key_id: str, sealed: bytes, account_id: uuid.UUID) -> str:
    """The token in `sealed`, remembered by everything it depends on (the key itself included),
    so a webhook does not run the cipher for every request; a re-sealed or changed token, or a
    key taken out of the ring, is a different entry or is refused before it is looked up."""
    try:
        return AESGCM(kek).decrypt(sealed[:12], sealed[12:], _aad(key_id, account_id)).decode()
    except (InvalidTag, ValueError):
        raise TokenUnreadable("the sealed token does not open") from None
