"""Django's PostgreSQL backend with a health check that costs no round trip.

With persistent connections (DATABASE_CONN_MAX_AGE) Django checks a reused connection before
the first query of every request (CONN_HEALTH_CHECKS), with a `SELECT 1`: one more round trip on
every request, a tenth of the provider's status webhook (bench/bench_telephony.py). A connection
the server ended (a restart, a terminated backend, an idle timeout) has the server's goodbye
waiting on its socket, and an idle one has nothing to read: looking costs no round trip. After a
query failed, or inside a transaction, the server is still asked with `SELECT 1`."""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg2.extensions import TRANSACTION_STATUS_IDLE


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        # After a failed query, or inside a transaction, the server is asked, as Django does.
        if self.errors_occurred or connection.info.transaction_status != TRANSACTION_STATUS_IDLE:
            return bool(super().is_usable())
        # Anything to read on an idle connection is the server's: most often its goodbye. Then
        # a new connection, whatever it said.
        # (poll, not select: a descriptor past 1023 is fine.)
        waiting = select.poll()
        waiting.register(connection.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
        return not waiting.poll(0)
