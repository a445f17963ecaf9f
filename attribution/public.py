"""The two public doors of attribution: the snippet `/dni.js` and its visits endpoint
`/dni/v1/visits/` (SPEC §13). No session, no cookie, CORS only for the Client's origins."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from accounts.client_address import client_address
from accounts.forms import null_character_errors
from attribution import selectors
from attribution.services import VisitInput, display_national, visit_lease

MAX_BODY = 8192
PREFLIGHT_MAX_AGE = 600
SNIPPET_MAX_AGE = 3600
TEXT_FIELDS = {
    "landing_url": 2000,
    "referrer": 2000,
    "utm_source": 200,
    "utm_medium": 200,
    "utm_campaign": 200,
    "utm_term": 200,
    "utm_content": 200,
    "gclid": 255,
    "fbclid": 255,
    "msclkid": 255,
    "visit": 64,
}


@functools.cache
def _snippet() -> tuple[bytes, str]:
    body = (Path(settings.BASE_DIR) / "static" / "dni.js").read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def snippet(request: HttpRequest) -> HttpResponse:
    body, etag = _snippet()
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    # Cached by browsers and CDNs for an hour; revalidated by its ETag after that.
    response["Cache-Control"] = f"public, max-age={SNIPPET_MAX_AGE}"
    # Loaded by a <script> tag from any site: readable cross-origin, sends no credentials.
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _cors(response: HttpResponse, origin: str) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = origin
    response["Vary"] = "Origin"
    return response


def _readable(origin: str) -> str:
    """An error is readable by the page when some Client allows its origin (the body named no
    website we know, so its own Client's list cannot be asked)."""
    return origin if selectors.origin_allowed_across_clients(origin) else ""


def _error(errors: dict[str, list[str]], *, status: int, origin: str = "") -> HttpResponse:
    response = JsonResponse(errors, status=status)
    response["Cache-Control"] = "no-store"
    return _cors(response, origin) if origin else response


def _rate_limited(request: HttpRequest) -> bool:
    """Fixed one-minute windows per address. The address is used here only, as a keyed hash
    in a counter that expires with its window: it is never stored nor logged."""
    address = client_address(request) or "unknown"
    digest = hmac.new(settings.PRIVACY_HMAC_KEY, address.encode(), hashlib.sha256).hexdigest()
    key = f"dni:{digest[:32]}:{int(time.time() // 60)}"
    return _count(key) > settings.DNI_RATE_LIMIT_PER_MINUTE


def _count(key: str) -> int:
    """This window's count after this request: one round trip to Redis (INCR, and EXPIRE only
    on the window's first request), or the process's memory without Redis."""
    cache = caches["ratelimit"]
    redis_cache = getattr(cache, "_cache", None)
    if redis_cache is not None and hasattr(redis_cache, "get_client"):
        client = redis_cache.get_client(key, write=True)
        full_key = cache.make_and_validate_key(key)
        count = client.incr(full_key)
        if count == 1:
            client.expire(full_key, 70)
        return int(count)
    if cache.add(key, 1, timeout=70):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=70)
        return 1


def _parse(raw: bytes) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None, {"non_field_errors": [_("Send a JSON object.")]}
    if not isinstance(data, dict):
        return None, {"non_field_errors": [_("Send a JSON object.")]}
    errors: dict[str, list[str]] = {}
    client = data.get("client")
    if not isinstance(client, str) or not client:
        errors["client"] = [_("This field is required (the snippet's data-client).")]
    elif null_characters := null_character_errors(client):
        errors["client"] = null_characters
    for name, limit in TEXT_FIELDS.items():
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            errors[name] = [_("Must be a string.")]
        elif len(value) > limit:
            errors[name] = [_("At most %(limit)s characters.") % {"limit": limit}]
        elif null_characters := null_character_errors(value):
            errors[name] = null_characters
    consent = data.get("consent", False)
    if not isinstance(consent, bool):
        errors["consent"] = [_("Must be true or false.")]
    unknown = sorted(set(data) - set(TEXT_FIELDS) - {"client", "consent"})
    for name in unknown:
        errors[name] = [_("Unknown field.")]
    return (None if errors else data), errors


@csrf_exempt
def visits(request: HttpRequest) -> HttpResponse:
    origin = request.headers.get("Origin", "")
    if request.method == "OPTIONS":
        if not selectors.origin_allowed_across_clients(origin):
            # No CORS headers: the browser refuses to send the request.
            return HttpResponse(status=403)
        response = _cors(HttpResponse(status=204), origin)
        response["Access-Control-Allow-Methods"] = "POST"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
        return response
    if request.method != "POST":
        response = HttpResponse(status=405)
        response["Allow"] = "POST, OPTIONS"
        return response
    if _rate_limited(request):
        response = _error({"detail": [_("Too many requests; try again in a minute.")]}, status=429)
        response["Retry-After"] = "60"
        return response
    if int(request.headers.get("Content-Length") or 0) > MAX_BODY:
        return _error({"detail": [_("The body is too large.")]}, status=413)
    data, errors = _parse(request.body)
    if data is None:
        return _error(errors, status=400, origin=_readable(origin))
    website = selectors.website_by_public_id_across_clients(data["client"])
    if website is None:
        errors = {"client": [_("No website has this id.")]}
        return _error(errors, status=400, origin=_readable(origin))
    if not selectors.origin_allowed(client=website.client, origin=origin):
        return _error({"detail": [_("This origin is not allowed.")]}, status=403)
    answer = visit_lease(
        client=website.client,
        data=VisitInput(
            **{name: data.get(name) or "" for name in TEXT_FIELDS},
            consent=data.get("consent", False),
        ),
    )
    payload: dict[str, Any] = {
        "number": answer.number or None,
        "display": display_national(answer.number) if answer.number else None,
    }
    if answer.visit_token:
        payload["visit"] = answer.visit_token
        payload["expires_in"] = answer.expires_in
    response = JsonResponse(payload)
    response["Cache-Control"] = "no-store"
    return _cors(response, origin)
