"""Deadlines (GDPR art. 12(3)) and the DPO's daily reminder (issue 14)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from privacy.models import DataSubjectRequest, due_date
from privacy.services import request_deadlines_remind, request_reject
from tests.factories import DataSubjectRequestFactory

TODAY = dt.date(2026, 6, 15)
ROOT = Path(__file__).resolve().parents[2]


def test_a_request_is_due_one_month_after_receipt_and_three_when_extended():
    assert due_date(dt.date(2026, 1, 31)) == dt.date(2026, 2, 28)
    assert due_date(dt.date(2026, 1, 31), extended=True) == dt.date(2026, 4, 30)


def _requests(acme):
    overdue = DataSubjectRequestFactory(client=acme, due_on=TODAY - dt.timedelta(days=1))
    soon = DataSubjectRequestFactory(client=acme, due_on=TODAY + dt.timedelta(days=7))
    later = DataSubjectRequestFactory(client=acme, due_on=TODAY + dt.timedelta(days=8))
    closed = DataSubjectRequestFactory(client=acme, due_on=TODAY - dt.timedelta(days=3))
    request_reject(subject_request=closed, reason="duplicate", actor=None)
    restricted = DataSubjectRequestFactory(
        kind="restriction", client=acme, due_on=TODAY - dt.timedelta(days=3)
    )
    DataSubjectRequest.objects.filter(pk=restricted.pk).update(
        restricted_at=dt.datetime.now(dt.UTC)
    )
    return overdue, soon, later, closed


def test_the_reminder_lists_the_overdue_and_the_soon_due_requests_only(acme, settings):
    settings.DPO_EMAIL = "dpo@dexem.example"
    overdue, soon, later, closed = _requests(acme)
    assert request_deadlines_remind(today=TODAY) == {"due_soon": 1, "overdue": 1}
    (message,) = mail.outbox
    assert message.to == ["dpo@dexem.example"]
    assert overdue.reference in message.body and soon.reference in message.body
    assert later.reference not in message.body and closed.reference not in message.body
    assert overdue.subject not in message.body and soon.subject not in message.body
    assert message.body.index("Overdue") < message.body.index(overdue.reference)


def test_no_reminder_is_sent_when_nothing_is_due(acme):
    DataSubjectRequestFactory(client=acme, due_on=TODAY + dt.timedelta(days=20))
    assert request_deadlines_remind(today=TODAY) == {"due_soon": 0, "overdue": 0}
    assert not mail.outbox


def test_the_daily_reminder_is_in_the_beat_schedule(db):
    task = PeriodicTask.objects.get(task="privacy.tasks.request_deadlines_remind_task")
    assert task.enabled and task.crontab.hour == "7"


@pytest.mark.services
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_beat_and_worker_send_the_reminder(acme, tmp_path):
    overdue = DataSubjectRequestFactory(client=acme, due_on=dt.date.today() - dt.timedelta(days=2))
    every_two_seconds, _ = IntervalSchedule.objects.get_or_create(
        every=2, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.create(
        name="test: remind the DPO",
        task="privacy.tasks.request_deadlines_remind_task",
        interval=every_two_seconds,
    )
    outbox = tmp_path / "mail"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dexem.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": os.environ["REDIS_URL"],
        "DEXEM_CELERY_EAGER": "0",
        "DEXEM_EMAIL_FILE_PATH": str(outbox),
    }
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "dexem", "purge", "-f"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
    )
    logs = [open(tmp_path / name, "w") for name in ("worker.log", "beat.log")]  # noqa: SIM115
    commands = (
        ["worker", "--pool", "solo", "--loglevel", "INFO"],
        ["beat", "--max-interval", "1", "--schedule", str(tmp_path / "beat-schedule")],
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "dexem", *command],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for command, log in zip(commands, logs, strict=True)
    ]
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not (outbox.exists() and any(outbox.iterdir())):
            time.sleep(1)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()
    details = "".join((tmp_path / name).read_text()[-2000:] for name in ("worker.log", "beat.log"))
    sent = [path.read_text() for path in outbox.iterdir()] if outbox.exists() else []
    assert sent, details
    assert overdue.reference in sent[0] and overdue.subject not in sent[0]
