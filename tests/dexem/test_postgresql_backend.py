"""The PostgreSQL backend's health check (dexem/postgresql): a connection reused moments after
its last request is checked without a round trip, one the server ended is replaced, and one idle
for longer, after a failed query or inside a transaction is asked with Django's `SELECT 1`."""

from __future__ import annotations

import select
import time

import psycopg2
import pytest
from django.db import ProgrammingError, close_old_connections, connection
from django.db.backends.postgresql import base as django_postgresql

from accounts.models import Client
from dexem import postgresql

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def persistent():
    """Connections kept between requests and checked before reuse, as in production."""
    connection.close()
    settings = connection.settings_dict
    saved = settings["CONN_MAX_AGE"], settings["CONN_HEALTH_CHECKS"]
    settings["CONN_MAX_AGE"], settings["CONN_HEALTH_CHECKS"] = 60, True
    connection.health_check_enabled = True
    yield
    settings["CONN_MAX_AGE"], settings["CONN_HEALTH_CHECKS"] = saved
    connection.health_check_enabled = saved[1]
    connection.close()


@pytest.fixture
def server_asked(monkeypatch):
    """Each time Django's own check (its `SELECT 1` to the server) runs."""
    asked: list[int] = []
    ask = django_postgresql.DatabaseWrapper.is_usable

    def counted(self):
        asked.append(1)
        return ask(self)

    monkeypatch.setattr(django_postgresql.DatabaseWrapper, "is_usable", counted)
    return asked


def _request(action):
    close_old_connections()  # what Django does when a request starts
    try:
        return action()
    finally:
        close_old_connections()  # and when it ends


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_a_connection_used_moments_ago_is_reused_without_asking_the_server(
    persistent, server_asked
):
    first = _request(_backend_pid)
    assert _request(_backend_pid) == first
    assert server_asked == []


def test_a_connection_idle_for_longer_is_asked_with_a_round_trip(
    persistent, server_asked, monkeypatch
):
    # Looking at the socket cannot see a connection lost in silence (a moved IP, a NAT flushed).
    monkeypatch.setattr(postgresql.base, "RECENT_SECONDS", 0.0)
    first = _request(_backend_pid)
    time.sleep(0.01)
    assert _request(_backend_pid) == first
    assert server_asked == [1]


def test_a_connection_the_server_ended_between_requests_is_replaced_without_an_error(persistent):
    ended = _request(_backend_pid)
    params = connection.get_connection_params()
    other = psycopg2.connect(**params)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [ended])
    finally:
        other.close()
    # The server's goodbye reaches the socket soon after the signal: wait for it (5 s at most).
    waiting = select.poll()
    waiting.register(connection.connection.fileno(), select.POLLIN)
    assert waiting.poll(5000)
    assert _request(lambda: Client.objects.count()) >= 0  # no error: a new connection
    assert _request(_backend_pid) != ended


def test_after_a_failed_query_the_server_is_asked(persistent, server_asked):
    def failing() -> None:
        with pytest.raises(ProgrammingError), connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")

    pid = _backend_pid()
    _request(failing)  # the request's end asks whether the connection survived its error
    assert server_asked == [1]
    assert _request(_backend_pid) == pid
