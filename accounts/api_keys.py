"""API key secrets and the DRF authentication that reads them (`Authorization: Api-Key <key>`).

A key reads `dxm_<prefix>_<secret>`: the prefix finds the row, the secret is compared by its
SHA-256 in constant time. A slow hash would add nothing for 256 random bits and would cap ingestion.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import ApiKey, Client
from accounts.roles import Capability
from accounts.selectors import api_key_find_across_clients

KEY_PREFIX = "dxm"
KEYWORD = "Api-Key"
# last_used_at is informative: writing it at most once a minute keeps ingestion free of row locks.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewKey:
    prefix: str
    secret: str

    @property
    def full(self) -> str:
        return f"{KEY_PREFIX}_{self.prefix}_{self.secret}"


def key_generate() -> NewKey:
    return NewKey(prefix=secrets.token_hex(6), secret=secrets.token_urlsafe(32))


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def key_split(raw: str) -> tuple[str, str] | None:
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


@dataclass(frozen=True)
class ApiKeyPrincipal:
    """`request.user` for a request made with an API key: a Client, some scopes, no role."""

    api_key: ApiKey

    is_authenticated = True
    is_active = True
    is_staff = False
    is_anonymous = False
    role = ""

    @property
    def client(self) -> Client:
        return self.api_key.client

    @property
    def client_id(self) -> Any:
        return self.api_key.client_id

    @property
    def pk(self) -> Any:
        return self.api_key.pk

    def has_scope(self, scope: str) -> bool:
        return self.api_key.has_scope(scope)

    def has_capability(self, capability: Capability) -> bool:
        # A key holds no role: what it may do is decided by its scopes (accounts.permissions).
        return False


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[ApiKeyPrincipal, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        keyword, __, raw = header.partition(" ")
        if keyword != KEYWORD:
            return None
        parts = key_split(raw)
        if parts is None:
            raise exceptions.AuthenticationFailed(_("Malformed API key."))
        prefix, secret = parts
        api_key = api_key_find_across_clients(prefix=prefix)
        if (
            api_key is None
            or not hmac.compare_digest(api_key.secret_hash, secret_hash(secret))
            or not api_key.is_active
            or not api_key.client.is_active
        ):
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
        now = timezone.now()
        if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(client_id=api_key.client_id, pk=api_key.pk).update(
                last_used_at=now
            )
        return ApiKeyPrincipal(api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


class ApiKeySchemeExtension(OpenApiAuthenticationExtension):
    target_class = "accounts.api_keys.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`, a key created in /settings/ or with create_api_key.",
        }
