from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "test-production-key-4f9a1c7e2b8d6f3a0e5c9b7d1a2f4e6c8b0d3f5a7c9e1b3d",
    "ALLOWED_HOSTS": "dexem.example",
    "RECORDING_KEYS": "k1:" + base64.b64encode(b"r" * 32).decode(),
    "PRIVACY_HMAC_KEY": base64.b64encode(b"p" * 32).decode(),
    "DATABASE_URL": "sqlite:///:memory:",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION_ENV and k != "DJANGO_SETTINGS_MODULE"
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "ALLOWED_HOSTS", "RECORDING_KEYS", "PRIVACY_HMAC_KEY"]
)
def test_production_refuses_to_start_without_a_required_variable_and_names_it(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert f"{missing} is required when DJANGO_ENV=production" in result.stderr


def test_production_starts_with_every_required_variable():
    result = _manage("check", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr


def test_a_malformed_recording_key_is_named(monkeypatch):
    result = _manage("check", env={**PRODUCTION_ENV, "RECORDING_KEYS": "k1:not-base64!"})
    assert result.returncode != 0 and "RECORDING_KEYS must be base64" in result.stderr
