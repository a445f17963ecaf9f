"""Benchmark settings: production-like Django on the bench database, with a no-op endpoint."""

from __future__ import annotations

from dexem.settings.base import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
# As in production, tasks go to the broker when there is one (REDIS_URL): run eagerly, a task
# queued to run later (the daily aggregates' fold, five seconds after a change) would run inside
# the request that queued it, and the web benchmarks would measure that instead of the request.
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None  # noqa: F405
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
