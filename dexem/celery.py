"""The Celery app: configured from Django settings (`CELERY_*`), tasks found in each app."""

from __future__ import annotations

import os

from celery import Celery

from dexem.settings.env import default_settings_module

os.environ.setdefault("DJANGO_SETTINGS_MODULE", default_settings_module())

app = Celery("dexem")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
