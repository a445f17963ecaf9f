"""JSON log lines for production (SPEC §10), with the request id, and no personal data: anything
shaped like a phone number or an email address is masked, whatever a library chose to log.

`ScrubFilter` sits on every handler (development and production): it rewrites each record's
message (with its args), every extra attribute (django.request's `request` object included, which
would otherwise print the path with its query string) and the traceback. `JsonFormatter` scrubs
again, so a handler added without the filter still leaks nothing. gunicorn's access and error logs
use the same formatter and `mask_query` (deploy/gunicorn.conf.py).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, unquote_plus

from dexem.middleware import request_id_var

# A digit run glued to letters is part of an identifier (a hash, a key), not a phone number.
_PHONE = re.compile(r"(?<![0-9A-Za-z])\+?\d[\d .()-]{7,}\d(?![0-9A-Za-z])")
# Ids in URLs and messages are UUIDs: opaque, never personal, and their digit groups would
# otherwise read as numbers ("1234-5678-9012" inside one). They are kept whole.
_UUID = re.compile(r"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
MASK = "[masked]"


def _mask(text: str) -> str:
    pieces = _UUID.split(text)  # odd positions are the UUIDs themselves
    return "".join(
        piece if index % 2 else _EMAIL.sub("[email]", _PHONE.sub("[phone]", piece))
        for index, piece in enumerate(pieces)
    )


def scrub(text: str) -> str:
    """The text with phone numbers and email addresses masked, percent-encoded ones included."""
    text = _mask(text)
    if "%" in text or "+" in text:
        # `%2B33612345678`, `+33+6+12+34+56+78` or `ann%40acme.example` in a URL hide their shape
        # until decoded.
        for decoded in (unquote(text), unquote_plus(text)):
            if decoded != text and (_PHONE.search(decoded) or _EMAIL.search(decoded)):
                return _mask(decoded)
    return text


def mask_query(query: str) -> str:
    """A query string with every value masked: names stay (useful), values may be anyone's."""
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    if not pairs:
        return MASK
    return "&".join(f"{scrub(name)}={MASK}" for name, _value in pairs)


def scrub_value(value: Any) -> Any:
    """A JSON-ready copy of `value` with personal data masked; a request becomes method + path."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {scrub(str(key)): scrub_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub_value(item) for item in value]
    method, path = getattr(value, "method", None), getattr(value, "path", None)
    if isinstance(method, str) and isinstance(path, str):
        # An HttpRequest: never its query string, its body or its headers.
        return scrub(f"{method} {path}")
    return scrub(str(value))


def _extra_keys(record: logging.LogRecord) -> list[str]:
    return [key for key in record.__dict__ if key not in _STANDARD and not key.startswith("_")]


class ScrubFilter(logging.Filter):
    """Masks personal data in the record itself, before any formatter sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        for key in _extra_keys(record):
            setattr(record, key, scrub_value(getattr(record, key)))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
            "request_id": request_id_var.get(),
        }
        for key in _extra_keys(record):
            entry[key] = scrub_value(getattr(record, key))
        exception = record.exc_text or (
            self.formatException(record.exc_info) if record.exc_info else ""
        )
        if exception:
            entry["exception"] = scrub(exception)
        if record.stack_info:
            entry["stack"] = scrub(record.stack_info)
        return json.dumps(entry, default=str)
