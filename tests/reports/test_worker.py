"""The fold on a real Celery worker against Redis and PostgreSQL: an ingestion of a past day
queues it after commit, and the worker replaces the day's aggregate within seconds."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest
from django.db import connection

from calls.services import call_ingest
from reports.models import DailyAggregate, DirtyDay
from tests.celery_worker import real_celery_worker

pytestmark = [pytest.mark.services, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_folds_the_day_an_ingestion_marked(acme, acme_number, tmp_path):
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dexem.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": os.environ["REDIS_URL"],
        "DEXEM_CELERY_EAGER": "0",
    }
    rows: list[tuple] = []
    with real_celery_worker(env, tmp_path / "worker.log"):
        for external_id, status in (("a", "answered"), ("b", "missed")):
            call_ingest(
                client=acme,
                external_id=external_id,
                tracking_number=acme_number.number,
                caller_number=None,
                status=status,
                started_at=dt.datetime(2025, 4, 2, 9, tzinfo=dt.UTC),
                duration_seconds=40,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not DirtyDay.objects.for_client(acme).exists():
                rows = sorted(
                    DailyAggregate.objects.for_client(acme).values_list(
                        "day", "status", "calls", "answered_seconds"
                    )
                )
                break
            time.sleep(0.3)
    details = (tmp_path / "worker.log").read_text()[-3000:]
    assert rows == [
        (dt.date(2025, 4, 2), "answered", 1, 40),
        (dt.date(2025, 4, 2), "missed", 1, 0),
    ], details
