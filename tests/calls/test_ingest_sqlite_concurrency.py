"""The embedded default (SQLite, `make run`) takes concurrent writers without a 500 (SPEC §5).

Django's SQLite test database lives in memory, in one connection: concurrency needs a real file
and a real server. So this starts the development server, threaded as `make run` serves it, on a
temporary SQLite file, and posts to it from many threads at once.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from dexem.settings.base import BASE_DIR

SETUP = """
from accounts.models import Client
from accounts.services import api_key_create
from calls.services import tracking_number_create

client = Client.objects.create(name="Race", slug="race")
tracking_number_create(client=client, number="+33184800001", source="Google Ads")
_, key = api_key_create(client=client, name="provider")
print(key)
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _manage(*args: str, env: dict[str, str]) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """(base URL, API key, database file) of a dev server on a fresh SQLite file."""
    database = tmp_path_factory.mktemp("sqlite") / "dexem.sqlite3"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ENV"}
    }
    # The development settings as `make run` uses them; keys and storage from the test settings.
    env.update(DATABASE_URL=f"sqlite:///{database}", DJANGO_SETTINGS_MODULE="dexem.settings.base")
    _manage("migrate", "--noinput", env=env)
    key = _manage("shell", "-c", SETUP, env=env).strip().splitlines()[-1]
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("The development server did not start.") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", key, database
    finally:
        server.terminate()
        server.wait(timeout=10)


def _post(base: str, key: str, external_id: str) -> tuple[int, dict[str, object]]:
    body = json.dumps(
        {
            "external_id": external_id,
            "tracking_number": "+33184800001",
            "caller_number": "+33612345678",
            "status": "answered",
            "started_at": "2026-11-02T10:15:00+01:00",
            "duration_seconds": 93,
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 (a loopback URL of our own)
        f"{base}/api/v1/calls/",
        data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Api-Key {key}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, {}


def _in_threads(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = []
    lock = threading.Lock()

    def run(index: int) -> None:
        barrier.wait()
        for result in work(index):
            with lock:
                results.append(result)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _calls(database: Path, external_id_like: str) -> int:
    import sqlite3

    from calls.models import Call

    with sqlite3.connect(database) as db:
        (count,) = db.execute(
            f"SELECT count(*) FROM {Call._meta.db_table} WHERE external_id LIKE ?",  # noqa: S608
            [external_id_like],
        ).fetchone()
    return count


def test_twenty_concurrent_posts_of_one_external_id_make_one_call_and_no_500(sqlite_server):
    base, key, database = sqlite_server
    results = _in_threads(20, lambda _: [_post(base, key, "same-id")])
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 1, 200: 19}, statuses
    assert len({body["id"] for _, body in results}) == 1
    assert _calls(database, "same-id") == 1


def test_eight_threads_posting_distinct_ids_all_get_201(sqlite_server):
    base, key, database = sqlite_server
    per_thread = 25
    results = _in_threads(
        8, lambda index: (_post(base, key, f"t{index}-{n}") for n in range(per_thread))
    )
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 8 * per_thread}, statuses
    assert _calls(database, "t%-%") == 8 * per_thread
