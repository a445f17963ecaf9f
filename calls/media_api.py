"""Upload and playback of recordings and voice messages (SPEC §5, §7)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import http_date, parse_http_date_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_base import ClientAPIView
from accounts.models import ApiKeyScope
from accounts.permissions import capability_or_scope
from accounts.roles import Capability
from calls import selectors, services
from calls.api import INGEST
from calls.media.format import MediaIntegrityError
from calls.media.objects import TooLarge, stored_object_open
from calls.models import AUDIO_CONTENT_TYPES, MediaKind, MediaObject

logger = logging.getLogger(__name__)

PLAY = capability_or_scope(Capability.PLAY_RECORDINGS, ApiKeyScope.READ)
UPLOAD_CHUNK = 256 * 1024
_RANGE = re.compile(r"^bytes=([0-9]*)-([0-9]*)$")


class AudioParser(BaseParser):
    """Declares the accepted types for the schema; the body itself is streamed, never parsed."""

    media_type = "audio/*"


class AnyAccept(BaseContentNegotiation):
    """Audio players send Accept headers of their own; the answer is audio or a JSON error."""

    def select_parser(self, request: Request, parsers: Iterable[Any]) -> Any:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[Any], format_suffix: str | None = None
    ) -> tuple[Any, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


RESTRICTED_MESSAGE = _(
    "The caller asked us to restrict the use of their data: this audio cannot be played until "
    "the restriction is lifted."
)


def _error(status_code: int, message: str) -> Response:
    return Response({"detail": message}, status=status_code)


def _body_chunks(request: Request) -> Iterator[bytes]:
    while True:
        chunk = request._request.read(UPLOAD_CHUNK)
        if not chunk:
            return
        yield chunk


# Positions of more digits than this are past any stored object (10**18 bytes): they are compared
# as digit strings, never turned into integers (a header of thousands of digits is no 500).
POSITION_DIGITS = 18


def _position_key(digits: str) -> tuple[int, str]:
    """Orders digit strings by value without converting them."""
    digits = digits.lstrip("0") or "0"
    return len(digits), digits


def _position(digits: str) -> int | None:
    """The value, or None for a number past any object's size."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= POSITION_DIGITS else None


def parse_range(header: str, size: int) -> tuple[int, int] | str | None:
    """(start, end) inclusive; "unsatisfiable"; or None when the Range is to be ignored and the
    whole object sent (RFC 9110 §14.2): another unit, a malformed or invalid range (a last
    position before the first, `bytes=100-50`), or several ranges, which we do not serve."""
    match = _RANGE.match(header.strip())
    if not match or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if not first:
        length = _position(last)
        if length == 0 or size == 0:
            return "unsatisfiable"
        return max(size - length, 0) if length is not None else 0, size - 1
    if last and _position_key(last) < _position_key(first):
        return None
    start = _position(first)
    if start is None or start >= size:
        return "unsatisfiable"
    end = _position(last) if last else None
    return start, size - 1 if end is None else min(end, size - 1)


def strong_etag(media: MediaObject) -> str:
    """A strong validator: an object's bytes never change (a new upload is a new object, under a
    fresh random id); the plaintext's digest, where kept, is added as a second guard."""
    return '"' + "-".join(filter(None, (media.pk.hex, media.sha256[:32]))) + '"'


def if_range_holds(header: str | None, *, etag: str, last_modified: str) -> bool:
    """RFC 9110 §13.1.5: the Range applies only if If-Range (when sent) names the current
    representation: the same strong entity tag, or exactly the Last-Modified date we send."""
    if header is None:
        return True
    header = header.strip()
    if header.startswith('"'):
        return header == etag
    if header.startswith("W/"):
        return False  # a weak tag never matches for a range
    parsed = parse_http_date_safe(header)
    return parsed is not None and parsed == parse_http_date_safe(last_modified)


UPLOAD_RESPONSE = inline_serializer(
    "MediaStored",
    {
        "size_bytes": serializers.IntegerField(),
        "content_type": serializers.CharField(),
        "sha256": serializers.CharField(),
    },
)


class CallMediaAPI(ClientAPIView):
    kind: str = MediaKind.RECORDING
    integrity_refused_message = _(
        "The stored audio failed its integrity check and cannot be played."
    )
    parser_classes = [AudioParser]
    content_negotiation_class = AnyAccept

    def get_permissions(self) -> list[Any]:
        return [INGEST() if self.request.method == "PUT" else PLAY()]

    @extend_schema(
        request={content_type: OpenApiTypes.BINARY for content_type in AUDIO_CONTENT_TYPES},
        responses={
            201: UPLOAD_RESPONSE,
            413: OpenApiResponse(description="Too large"),
            415: OpenApiResponse(description="Unsupported type"),
        },
    )
    def put(self, request: Request, call_id: str) -> Response:
        call = selectors.call_get(client=self.client, call_id=call_id)
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        if content_type not in AUDIO_CONTENT_TYPES:
            return _error(
                status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                gettext("Send the audio as one of %(types)s.")
                % {"types": ", ".join(AUDIO_CONTENT_TYPES)},
            )
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if declared.isdigit() and int(declared) > settings.RECORDING_MAX_BYTES:
            return _error(
                status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                gettext("The audio is larger than the limit."),
            )
        try:
            media = services.media_store(
                call=call,
                kind=self.kind,
                content_type=content_type,
                chunks=_body_chunks(request),
                actor=request.user,
            )
        except TooLarge:
            return _error(
                status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                gettext("The audio is larger than the limit."),
            )
        return Response(
            {
                "size_bytes": media.size_bytes,
                "content_type": media.content_type,
                "sha256": media.sha256,
            },
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "Range",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description=(
                    "One range, `bytes=first-last`, `bytes=first-` or `bytes=-suffix`. Several "
                    "ranges, another unit or an invalid range (`bytes=100-50`) are ignored: 200 "
                    "with the whole audio."
                ),
            ),
            OpenApiParameter(
                "If-Range",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description=(
                    "The ETag (strong) or Last-Modified of an earlier answer: the Range is "
                    "honoured only if it still names this audio, else 200 with the whole of it."
                ),
            ),
        ],
        responses={
            (200, "audio/*"): OpenApiTypes.BINARY,
            (206, "audio/*"): OpenApiTypes.BINARY,
            409: OpenApiResponse(
                description="The stored audio failed its integrity check (refused, logged)."
            ),
            416: OpenApiResponse(description="Range not satisfiable"),
            503: OpenApiResponse(
                description="Its recording key is not configured on the server (logged)."
            ),
        },
    )
    def get(self, request: Request, call_id: str) -> HttpResponseBase | Response:
        call = selectors.call_get(client=self.client, call_id=call_id)
        if call.contact is not None and call.contact.restricted_at is not None:
            # 451 Unavailable For Legal Reasons: the audio exists but the law says not now.
            return _error(status.HTTP_451_UNAVAILABLE_FOR_LEGAL_REASONS, str(RESTRICTED_MESSAGE))
        media = selectors.call_media(call=call, kind=self.kind)
        opened = stored_object_open(media)
        size = opened.size
        etag = strong_etag(media)
        last_modified = http_date(media.created_at.timestamp())
        wanted = (
            parse_range(request.META["HTTP_RANGE"], size)
            if "HTTP_RANGE" in request.META
            and if_range_holds(
                request.META.get("HTTP_IF_RANGE"), etag=etag, last_modified=last_modified
            )
            else None
        )
        response: HttpResponseBase
        if wanted == "unsatisfiable":
            response = HttpResponse(status=status.HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE)
            response["Content-Range"] = f"bytes */{size}"
            return response
        start, end = wanted if isinstance(wanted, tuple) else (0, size - 1)
        # The first segment is opened before the response starts: a tampered object is refused
        # with a clear status instead of a broken stream.
        chunks = opened.iter_range(start, end) if size else iter(())
        first = next(chunks, b"")
        response = StreamingHttpResponse(
            _guarded(first, chunks, media_id=str(media.pk)),
            status=206 if isinstance(wanted, tuple) else 200,
            content_type=media.content_type,
        )
        response["Content-Length"] = str(end - start + 1 if size else 0)
        response["Accept-Ranges"] = "bytes"
        response["ETag"] = etag
        response["Last-Modified"] = last_modified
        response["Cache-Control"] = "private, no-store"
        response["Content-Disposition"] = (
            f'inline; filename="{self.kind}-{call.pk}.{media.extension}"'
        )
        if isinstance(wanted, tuple):
            response["Content-Range"] = f"bytes {start}-{end}/{size}"
        services.media_play_record(media=media, kind=self.kind, actor=request.user)
        return response


def _guarded(first: bytes, rest: Iterator[bytes], *, media_id: str) -> Iterator[bytes]:
    if first:
        yield first
    try:
        yield from rest
    except MediaIntegrityError:
        # Headers are gone already: stop the stream short (the client sees a broken transfer)
        # rather than send a byte of an unauthenticated segment.
        logger.error(
            "stored media failed its integrity check mid-stream", extra={"media_id": media_id}
        )
        raise


class CallRecordingAPI(CallMediaAPI):
    kind = MediaKind.RECORDING


class CallVoicemailAPI(CallMediaAPI):
    kind = MediaKind.VOICEMAIL
