"""The client address of a request (SPEC §10): one function for the lockout, the rate limits and
the login audit.

Behind the shipped proxy (deploy/nginx.conf.template) nginx *replaces* `X-Forwarded-For` with the
address it saw, so the header's entries are: whatever trusted proxies added, rightmost last. With
`TRUSTED_PROXY_COUNT = N` the client is the N-th entry from the right: anything a client wrote
further left is never read. Without a proxy (development, N = 0) only `REMOTE_ADDR` counts and the
header is ignored.

An address that cannot be found is never replaced by a shared placeholder (every such request
would share one bucket): `client_address` answers None and the request is refused, alone.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

ADDRESS_UNKNOWN_MESSAGE = _(
    "Your network address could not be determined, so this request was refused. "
    "If you reach this site through the usual address, try again; otherwise contact us."
)
# Probed by the container's own health check on the loopback, without the proxy in front.
EXEMPT_PATHS = ("/healthz",)


class ClientAddressUnknown(PermissionDenied):
    """The request's client address could not be found: refuse this request, never share a bucket."""


def _valid(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str | None:
    """The address the outermost trusted proxy saw (or REMOTE_ADDR without one); None if absent."""
    hops = settings.TRUSTED_PROXY_COUNT
    if hops == 0:
        return _valid(request.META.get("REMOTE_ADDR", ""))
    entries = [entry for entry in request.META.get(settings.CLIENT_ADDRESS_HEADER, "").split(",")]
    entries = [entry.strip() for entry in entries if entry.strip()]
    if len(entries) < hops:
        return None
    return _valid(entries[-hops])


def client_address_required(request: HttpRequest) -> str:
    """The client address, or ClientAddressUnknown (a 403 for this request alone)."""
    address = client_address(request)
    if address is None:
        raise ClientAddressUnknown(ADDRESS_UNKNOWN_MESSAGE)
    return address


class ClientAddressMiddleware:
    """Refuses, one by one, requests whose client address cannot be found (400)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path not in EXEMPT_PATHS and client_address(request) is None:
            # Before LocaleMiddleware (and any session): the browser's language says which.
            with translation.override(translation.get_language_from_request(request)):
                message = str(ADDRESS_UNKNOWN_MESSAGE)
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
