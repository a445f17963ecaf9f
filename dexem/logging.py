"""JSON log lines for production (SPEC §10), with the request id, and no personal data: anything
shaped like a phone number or an email address is masked, whatever a library chose to log."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

from dexem.middleware import request_id_var

_PHONE = re.compile(r"\+?\d[\d .()-]{7,}\d")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def scrub(text: str) -> str:
    return _EMAIL.sub("[email]", _PHONE.sub("[phone]", text))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
            "request_id": request_id_var.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = scrub(str(value)) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)
