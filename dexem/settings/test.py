"""Test settings: the base, with fast hashing and fixed keys so nothing is written to `var/`."""

from __future__ import annotations

import base64
import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("RECORDING_KEYS", "test:" + base64.b64encode(b"k" * 32).decode())
os.environ.setdefault("PRIVACY_HMAC_KEY", base64.b64encode(b"h" * 32).decode())
_scratch = Path(tempfile.mkdtemp(prefix="dexem-test-"))
os.environ.setdefault("RECORDING_STORAGE_DIR", str(_scratch / "recordings"))
os.environ.setdefault("MEDIA_DIR", str(_scratch / "media"))

from dexem.settings.base import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if os.environ.get("DEXEM_EMAIL_FILE_PATH"):
    # A `services` test's real worker writes its mail where the test can read it.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ["DEXEM_EMAIL_FILE_PATH"]
SMS_BACKEND = "privacy.sms.MemorySmsBackend"
# Tests run tasks in-process unless a `services` test starts a real worker.
CELERY_TASK_ALWAYS_EAGER = os.environ.get("DEXEM_CELERY_EAGER", "1") == "1"
STATIC_ROOT = _scratch / "static"
STATIC_ROOT.mkdir()
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# Persistent connections would keep the test database open past the run (live-server threads).
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
