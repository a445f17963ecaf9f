from __future__ import annotations

import io
import json
import logging

import pytest

from dexem.logging import JsonFormatter
from tests.dexem.test_settings import PRODUCTION_ENV, _manage


def test_healthz_reports_each_part(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "storage": "ok"}


def test_healthz_answers_503_naming_what_failed(client, db, monkeypatch):
    class Broken:
        def save(self, *args: object, **kwargs: object) -> str:
            raise OSError("disk full")

    monkeypatch.setattr("calls.media.storage.media_storage", lambda: Broken())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["storage"].startswith("error") and response.json()["database"] == "ok"


def test_pages_carry_a_strict_content_security_policy_and_a_request_id(as_user, acme_admin):
    response = as_user(acme_admin).get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert len(response["X-Request-ID"]) >= 8


def test_a_request_id_from_the_proxy_is_kept(client, db):
    assert (
        client.get("/healthz", HTTP_X_REQUEST_ID="abcdef12-3456")["X-Request-ID"] == "abcdef12-3456"
    )


def test_json_logs_hold_the_request_id_and_no_phone_number_or_email(client, acme_api, acme_number):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        acme_api.post(
            "/api/v1/calls/",
            {
                "external_id": "x",
                "tracking_number": "+33184800099",
                "caller_number": "+33612345678",
                "status": "answered",
                "started_at": "2026-11-02T10:00:00+01:00",
            },
            format="json",
            HTTP_X_REQUEST_ID="req-12345678",
        )
        logging.getLogger("probe").warning("caller +33 6 12 34 56 78 wrote from bob@example.com")
    finally:
        root.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines and all(
        {"time", "level", "logger", "message", "request_id"} <= set(line) for line in lines
    )
    assert any(line["request_id"] == "req-12345678" for line in lines)
    text = stream.getvalue()
    assert (
        "+33612345678" not in text
        and "33 6 12 34 56 78" not in text
        and "bob@example.com" not in text
    )


@pytest.mark.parametrize("flag", ["--deploy"])
def test_production_settings_pass_the_deployment_checklist_without_a_warning(flag):
    result = _manage("check", flag, "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
