"""The production settings under gunicorn, behind the headers the shipped nginx really sends
(deploy/nginx.conf.template): X-Forwarded-For replaced with the address nginx saw,
X-Forwarded-Proto https, Host, X-Request-ID. A temporary SQLite database, migrated first."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.dexem.test_settings import PRODUCTION_ENV, ROOT

HOST = "dexem.example"
A, B = "198.51.100.7", "203.0.113.9"
EMAIL, PASSWORD = "victim@acme.example", "correct-horse-battery-9"
DIGITS = "33612345678"

SETUP = f"""
from accounts.services import client_create, user_create
acme = client_create(name="Acme", slug="acme")
user_create(client=acme, email="{EMAIL}", first_name="Vic", last_name="Tim", role="analyst",
            password="{PASSWORD}")
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    port: int
    stdout: Path
    stderr: Path
    process: subprocess.Popen[bytes]

    def request(
        self,
        method: str,
        path: str,
        *,
        address: str | None,
        body: dict[str, str] | None = None,
        cookies: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], str]:
        """One request with exactly the headers nginx sets (`address` None: no forwarded one)."""
        headers = {"Host": HOST, "X-Forwarded-Proto": "https", "X-Request-ID": "req-0123456789"}
        if address is not None:
            headers["X-Forwarded-For"] = address
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        payload = None
        if body is not None:
            payload = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://{HOST}"
            headers["Referer"] = f"https://{HOST}{path}"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            connection.close()

    def login(self, *, address: str, password: str) -> int:
        status, headers, page = self.request("GET", "/accounts/login/", address=address)
        assert status == 200, page
        csrf = re.search(r"csrftoken=([^;]+)", headers.get("Set-Cookie", "")).group(1)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = {"csrfmiddlewaretoken": token, "username": EMAIL, "password": password}
        return self.request(
            "POST", "/accounts/login/", address=address, body=form, cookies={"csrftoken": csrf}
        )[0]

    def logs(self) -> str:
        return self.stdout.read_text() + self.stderr.read_text()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    scratch = tmp_path_factory.mktemp("gunicorn")
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION_ENV and k not in {"DJANGO_SETTINGS_MODULE", "REDIS_URL"}
    }
    environment.update(
        PRODUCTION_ENV,
        ALLOWED_HOSTS=HOST,
        DATABASE_URL=f"sqlite:///{scratch / 'db.sqlite3'}",
        PROXY_COUNT="1",  # as docker-compose.yml sets it
        RECORDING_STORAGE_DIR=str(scratch / "recordings"),
        MEDIA_DIR=str(scratch / "media"),
        STATIC_ROOT=str(scratch / "static"),
        PYTHONUNBUFFERED="1",
    )
    # The image collects static files at build time (Dockerfile); done here beside the migration.
    collect = subprocess.Popen(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    for step in (["migrate", "--noinput"], ["shell", "-c", SETUP]):
        done = subprocess.run(
            [sys.executable, "manage.py", *step],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    assert collect.wait(timeout=120) == 0, collect.stderr.read() if collect.stderr else ""
    port = _free_port()
    stdout, stderr = scratch / "stdout.log", scratch / "stderr.log"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "deploy/gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "dexem.wsgi:application",
            ],
            cwd=ROOT,
            env=environment,
            stdout=out,
            stderr=err,
        )
    server = Server(port=port, stdout=stdout, stderr=stderr, process=process)
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None, server.logs()
            assert time.monotonic() < deadline, server.logs()
            time.sleep(0.1)
    yield server
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


def test_five_failures_lock_that_address_and_not_the_victim_elsewhere(server):
    for _ in range(4):
        assert server.login(address=A, password="wrong-password-123") == 200
    assert server.login(address=A, password="wrong-password-123") == 429  # the fifth locks
    assert server.login(address=A, password=PASSWORD) == 429
    # A forged address a client puts in front (were the proxy to append) changes nothing.
    assert server.login(address=f"10.9.9.9, {A}", password=PASSWORD) == 429
    assert server.login(address=B, password=PASSWORD) == 302


def test_a_request_without_an_address_is_refused_and_only_that_one(server):
    status, _headers, body = server.request("GET", "/accounts/login/", address=None)
    assert status == 400 and "network address could not be determined" in body
    assert server.request("GET", "/accounts/login/", address=B)[0] == 200


def test_no_phone_number_reaches_gunicorns_access_or_error_log(server):
    for query in ("caller_number=%2B33612345678", "phone=%2B33612345678", "phone=+33612345678"):
        assert server.request("GET", f"/no-such-page/?{query}", address=A)[0] == 404
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(timeout=20)
    logs = server.logs()
    assert DIGITS not in logs
    lines = [json.loads(line) for line in logs.splitlines() if line.strip()]
    access = [line for line in lines if line.get("logger") == "gunicorn.access"]
    assert {"query": "caller_number=[masked]", "status": 404}.items() <= access[-3].items()
    assert any(
        line.get("logger") == "django.request" and line.get("request") == "GET /no-such-page/"
        for line in lines
    )
