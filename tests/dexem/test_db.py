"""Prepared statements (dexem/db.py): prepared once per database session, and prepared again when
the session holds them already or has lost them (a connection pooler's doing)."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from dexem.db import execute_prepared

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NAME = "dexem_test_double"
PREPARE = f"PREPARE {NAME} (integer) AS SELECT $1 * 2"


def _double(value: int, **extra: object) -> int:
    with connection.cursor() as cursor:
        execute_prepared(cursor, name=NAME, prepare=PREPARE, params=[value], **extra)
        return cursor.fetchone()[0]


@pytest.fixture(autouse=True)
def fresh_session():
    connection.close()  # a new session: nothing prepared on it, nothing remembered of it
    yield
    connection.close()


def _statements(captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"].split()[0] for query in captured.captured_queries]


def test_a_statement_is_prepared_once_per_session_then_only_executed():
    with CaptureQueriesContext(connection) as first:
        assert _double(21) == 42
    assert _statements(first) == ["SELECT", "PREPARE", "EXECUTE"]
    with CaptureQueriesContext(connection) as second:
        assert _double(5) == 10
    assert _statements(second) == ["EXECUTE"]


def test_a_session_that_holds_the_statement_already_is_not_asked_to_prepare_it_again():
    with connection.cursor() as cursor:
        cursor.execute(PREPARE)  # as a pooler's reused session may hold it
    with CaptureQueriesContext(connection) as captured:
        assert _double(4) == 8
    assert _statements(captured) == ["SELECT", "EXECUTE"]


def test_a_statement_the_session_lost_is_prepared_again_outside_a_transaction():
    assert _double(1) == 2
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # a pooler resetting the session
    assert _double(3) == 6


def test_inside_a_transaction_a_lost_statement_fails_it_and_the_next_use_prepares_again():
    assert _double(1) == 2
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    with pytest.raises(OperationalError), transaction.atomic():
        _double(2)
    with transaction.atomic():
        assert _double(7) == 14


def test_what_goes_before_the_statement_runs_in_the_same_round_trip():
    with CaptureQueriesContext(connection) as captured:
        value = _double(6, before="SET LOCAL statement_timeout = %s", before_params=["5s"])
    assert value == 12
    assert captured.captured_queries[-1]["sql"].startswith("SET LOCAL statement_timeout = '5s';")
