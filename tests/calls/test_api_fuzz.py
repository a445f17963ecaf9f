"""Every operation of our own OpenAPI schema, fuzzed with schemathesis: never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from dexem.wsgi import application

# Audio bodies are raw bytes, sent as schemathesis sends application/octet-stream.
schemathesis.serializer.alias(
    ["audio/wav", "audio/mpeg", "audio/ogg", "audio/webm"], "application/octet-stream"
)


def served(environ: dict, start_response: object) -> object:
    # A WSGI server always gives the socket's address; werkzeug's test environ has none, and a
    # request without a client address is refused (accounts.client_address).
    environ.setdefault("REMOTE_ADDR", "127.0.0.1")
    return application(environ, start_response)


schema = schemathesis.openapi.from_wsgi("/api/schema/", served)


@pytest.fixture
def keep_test_connection() -> Iterator[None]:
    """As Django's test client does: a request must not close the test's transaction connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def auth_header(acme, acme_number, keep_test_connection) -> dict[str, str]:
    from accounts.services import api_key_create
    from tests.factories import CallFactory

    CallFactory.create_batch(3, client=acme, tracking_number=acme_number)
    _, key = api_key_create(client=acme, name="fuzz")
    return {"Authorization": f"Api-Key {key}"}


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_no_operation_answers_a_server_error(case, auth_header):
    response = case.call(headers=auth_header)
    assert response.status_code < 500, (case.method, case.formatted_path, response.status_code)
