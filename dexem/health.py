"""GET /healthz (SPEC §10): the database, the broker and the recording storage, each "ok" or why not."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "ok"  # no broker configured: tasks run in-process (development)
    from dexem.celery import app

    with app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, timeout=2)
    return "ok"


def _storage() -> str:
    from calls.media.storage import media_storage

    storage = media_storage()
    # A write, a read back and a delete: what recordings need, on disk or in an S3 bucket.
    name = storage.save(f"healthz/{uuid.uuid4().hex}", ContentFile(b"ok"))
    try:
        with storage.open(name, "rb") as probe:
            if probe.read() != b"ok":
                return "error: read back differs"
    finally:
        storage.delete(name)
    return "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    results = {}
    for name, check in (("database", _database), ("broker", _broker), ("storage", _storage)):
        try:
            results[name] = check()
        except Exception as error:  # a health check reports failures, it does not raise them
            results[name] = f"error: {type(error).__name__}"
    healthy = all(value == "ok" for value in results.values())
    return JsonResponse(results, status=200 if healthy else 503)
