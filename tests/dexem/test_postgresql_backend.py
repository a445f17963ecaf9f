"""The PostgreSQL backend's health check (dexem/postgresql): a reused connection is checked
before a request's first query without a round trip, and one the server ended is replaced."""

from __future__ import annotations

import time

import psycopg2
import pytest
from django.db import close_old_connections, connection

from accounts.models import Client

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def persistent(settings):
    """Connections kept between requests and checked before reuse, as in production."""
    connection.close()
    saved = connection.settings_dict["CONN_MAX_AGE"], connection.settings_dict["CONN_HEALTH_CHECKS"]
    connection.settings_dict["CONN_MAX_AGE"], connection.settings_dict["CONN_HEALTH_CHECKS"] = (
        60,
        True,
    )
    yield
    connection.settings_dict["CONN_MAX_AGE"], connection.settings_dict["CONN_HEALTH_CHECKS"] = saved
    connection.close()


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


def _terminate(pid: int) -> None:
    params = connection.get_connection_params()
    with psycopg2.connect(**params) as other, other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    other.close()


def test_a_healthy_connection_serves_the_next_request_as_it_is(persistent):
    first = _request(_backend_pid)
    assert _request(_backend_pid) == first


def test_a_connection_the_server_ended_between_requests_is_replaced_without_an_error(persistent):
    ended = _request(_backend_pid)
    _terminate(ended)
    time.sleep(0.2)  # the server's goodbye reaches the socket
    assert _request(lambda: Client.objects.count()) >= 0  # no error: a new connection
    assert _request(_backend_pid) != ended
