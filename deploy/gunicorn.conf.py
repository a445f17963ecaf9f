"""gunicorn for the web container (Dockerfile, docker-compose.yml): `gunicorn -c deploy/gunicorn.conf.py
dexem.wsgi:application`. Command-line options still override what is set here.

Logs (SPEC §10): one JSON object a line, on stdout (access) and stderr (gunicorn's own lines),
with no personal data. The access line names the query string's parameters and masks every value
(`?caller_number=[masked]`), drops the referrer's query string, and logs no address: the client
address is personal data and the request id ties the line to the application's own lines.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from gunicorn import glogging

from dexem.logging import JsonFormatter, mask_query, scrub

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
accesslog = "-"
errorlog = "-"


class JsonLogger(glogging.Logger):
    """gunicorn's logger, writing JSON lines with query values masked."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())
        for handler in self.access_log.handlers:
            handler.setFormatter(logging.Formatter("%(message)s"))

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        headers = dict((name.lower(), value) for name, value in resp.headers)
        referrer = urlsplit(environ.get("HTTP_REFERER", ""))
        entry = {
            "time": datetime.now(UTC).isoformat(),
            "level": "INFO",
            "logger": "gunicorn.access",
            "method": environ.get("REQUEST_METHOD", ""),
            "path": scrub(environ.get("PATH_INFO", "")),
            "query": mask_query(environ.get("QUERY_STRING", "")),
            "status": int(status) if str(status).isdigit() else str(status),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "referrer": scrub(f"{referrer.scheme}://{referrer.netloc}{referrer.path}")
            if referrer.netloc
            else "",
            "user_agent": scrub(environ.get("HTTP_USER_AGENT", "")),
            "request_id": headers.get("x-request-id", "-"),
        }
        try:
            self.access_log.info(json.dumps(entry))
        except Exception:  # a log line must never break a response
            self.exception("access log line failed")


logger_class = JsonLogger
