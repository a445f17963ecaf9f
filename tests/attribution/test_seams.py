"""calls never imports attribution; a failing receiver of call_ingested never fails ingestion."""

from __future__ import annotations

import ast
from pathlib import Path

from django.utils import timezone

from calls.signals import call_ingested

ROOT = Path(__file__).resolve().parents[2]


def test_the_calls_app_never_imports_attribution():
    offenders = []
    for path in (ROOT / "calls").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            offenders += [
                f"{path.name}: {name}" for name in names if name.startswith("attribution")
            ]
    assert offenders == []


def test_a_failing_receiver_is_logged_and_the_call_is_still_stored(
    acme_api, acme_number, django_capture_on_commit_callbacks, caplog
):
    def broken(**kwargs):
        raise RuntimeError("boom")

    call_ingested.connect(broken, dispatch_uid="test.broken")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = acme_api.post(
                "/api/v1/calls/",
                {
                    "external_id": "robust",
                    "tracking_number": acme_number.number,
                    "status": "answered",
                    "started_at": timezone.now().isoformat(),
                },
                format="json",
            )
    finally:
        call_ingested.disconnect(dispatch_uid="test.broken")
    assert response.status_code == 201
    assert "call_ingested receiver failed" in caplog.text


def test_the_signal_carries_the_call_and_client_ids(
    acme, acme_api, acme_number, django_capture_on_commit_callbacks
):
    seen = []

    def record(**kwargs):
        seen.append((kwargs["call_id"], kwargs["client_id"]))

    call_ingested.connect(record, dispatch_uid="test.record")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            call = acme_api.post(
                "/api/v1/calls/",
                {
                    "external_id": "signal",
                    "tracking_number": acme_number.number,
                    "status": "answered",
                    "started_at": timezone.now().isoformat(),
                },
                format="json",
            ).json()
    finally:
        call_ingested.disconnect(dispatch_uid="test.record")
    assert [(str(call_id), client_id) for call_id, client_id in seen] == [(call["id"], acme.pk)]
