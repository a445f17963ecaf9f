from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SPEC_VARIABLES = [
    "DJANGO_ENV",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "RECORDING_KEYS",
    "PRIVACY_HMAC_KEY",
    "EMAIL_URL",
    "DPO_EMAIL",
    "RECORDING_STORAGE_DIR",
    "RECORDING_STORAGE",
    "S3_BUCKET",
    "S3_ENDPOINT_URL",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "S3_REGION",
    "RECORDING_MAX_BYTES",
    "CALL_RETENTION_MONTHS",
    "RECORDING_RETENTION_MONTHS",
    "USER_RETENTION_DAYS_AFTER_CONTRACT",
    "PORT",
]


def test_the_compose_file_has_every_service_of_the_specification():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "redis", "web", "worker", "beat", "proxy"}
    assert services["db"]["image"].startswith("postgres:16") and "healthcheck" in services["db"]
    assert "migrate" in " ".join(services["web"]["command"]) and "gunicorn" in " ".join(
        services["web"]["command"]
    )
    assert services["web"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"] and services["beat"]["deploy"]["replicas"] == 1
    assert {"80:80", "443:443"} <= set(services["proxy"]["ports"])


def test_the_proxy_redirects_plain_http_and_replaces_forwarded_for():
    config = (ROOT / "deploy" / "nginx.conf.template").read_text()
    assert re.search(r"listen 80;.*return 301 https://", config, re.S)
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in config
    assert "proxy_set_header X-Forwarded-Proto https;" in config


def test_the_env_example_documents_every_variable_of_the_specification():
    documented = (ROOT / ".env.example").read_text()
    for variable in SPEC_VARIABLES:
        assert re.search(rf"^#?\s*{variable}=", documented, re.M), variable


def test_the_image_runs_as_a_non_root_user_and_collects_static_files():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.count("FROM ") >= 2
    assert "USER dexem" in dockerfile and "collectstatic" in dockerfile and "gunicorn" in dockerfile


def test_docker_compose_accepts_the_file_where_the_cli_can_check_it(tmp_path):
    docker = shutil.which("docker")
    if (
        not docker
        or subprocess.run(
            [docker, "compose", "version"], capture_output=True, check=False
        ).returncode
    ):
        pytest.skip("no docker compose CLI here")
    env = tmp_path / ".env"
    env.write_text(
        (ROOT / ".env.example").read_text().replace("POSTGRES_PASSWORD=", "POSTGRES_PASSWORD=x")
    )
    result = subprocess.run(
        [
            docker,
            "compose",
            "--project-directory",
            str(ROOT),
            "--env-file",
            str(env),
            "-f",
            str(ROOT / "docker-compose.yml"),
            "config",
            "-q",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
