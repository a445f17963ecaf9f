"""A real Celery worker for the `services` tests that need one, enqueued to for real."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dexem.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def real_celery_worker(env: dict[str, str], log_path: Path) -> Iterator[None]:
    """Start a solo worker with `env` (its broker emptied first), logging to `log_path`; this
    process enqueues for real meanwhile (its settings run tasks eagerly otherwise)."""
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "dexem", "purge", "-f"],
        cwd=ROOT, env=env, capture_output=True, timeout=60,
    )  # fmt: skip
    log = open(log_path, "w")  # noqa: SIM115
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dexem", "worker", "--pool", "solo",
         "--loglevel", "INFO"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    eager, celery_app.conf.task_always_eager = celery_app.conf.task_always_eager, False
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = eager
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
