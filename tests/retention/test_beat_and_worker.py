"""A real Celery worker and beat against Redis purge expired rows on a schedule of seconds."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from calls.models import Call
from retention.models import RetentionRun
from tests.factories import CallFactory

pytestmark = [pytest.mark.services, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def _environment() -> dict[str, str]:
    settings = connection.settings_dict
    database = f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
    redis = urlparse(os.environ["REDIS_URL"])
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dexem.settings.test",
        "DATABASE_URL": database,
        "REDIS_URL": urlunparse(redis._replace(path="/15")),  # a database of its own
        "DEXEM_CELERY_EAGER": "0",
    }


def test_beat_schedules_the_purge_and_a_worker_runs_it(acme, acme_number, tmp_path):
    old = CallFactory.create_batch(
        3,
        client=acme,
        tracking_number=acme_number,
        started_at=timezone.now() - dt.timedelta(days=800),
    )
    young = CallFactory(
        client=acme, tracking_number=acme_number, started_at=timezone.now() - dt.timedelta(days=3)
    )
    every_two_seconds, _ = IntervalSchedule.objects.get_or_create(
        every=2, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.create(
        name="test: purge calls",
        task="retention.tasks.purge_calls_task",
        interval=every_two_seconds,
    )

    env = _environment()
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "dexem", "purge", "-f"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
    )
    logs = [open(tmp_path / name, "w") for name in ("worker.log", "beat.log")]  # noqa: SIM115
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "dexem",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=logs[0],
        stderr=subprocess.STDOUT,
    )
    beat = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "dexem",
            "beat",
            "--max-interval",
            "1",
            "--loglevel",
            "INFO",
            "--schedule",
            str(tmp_path / "beat-schedule"),
        ],
        cwd=ROOT,
        env=env,
        stdout=logs[1],
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while (
            time.monotonic() < deadline
            and Call.objects.across_clients().filter(pk__in=[call.pk for call in old]).exists()
        ):
            time.sleep(1)
        remaining = list(Call.objects.across_clients().all())
    finally:
        for process in (beat, worker):
            process.terminate()
        for process in (beat, worker):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()
    details = (tmp_path / "worker.log").read_text()[-2000:] + (tmp_path / "beat.log").read_text()[
        -2000:
    ]
    assert remaining == [young], details
    assert RetentionRun.objects.filter(job="calls", status="done").exists()
