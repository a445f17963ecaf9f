"""Django's PostgreSQL backend with a health check that costs no round trip on a busy connection.

With persistent connections (DATABASE_CONN_MAX_AGE) Django checks a reused connection before
the first query of every request (CONN_HEALTH_CHECKS), with a `SELECT 1`: one more round trip on
every request, a tenth of the provider's status webhook (bench/bench_telephony.py). A connection
the server ended (a restart, a terminated backend, an idle timeout) has the server's goodbye
waiting on its socket, and an idle one has nothing to read: looking costs no round trip.

Looking cannot see a connection lost in silence (a virtual IP moved, a NAT table flushed): only
a packet sent finds out. So only a connection used in the last RECENT_SECONDS is looked at; one
idle for longer, one whose last query failed and one inside a transaction are asked with
`SELECT 1`, as Django does."""

from __future__ import annotations

import select
import time

from django.db.backends.postgresql import base
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

RECENT_SECONDS = 2.0  # a busy worker reuses its connection within milliseconds


class DatabaseWrapper(base.DatabaseWrapper):
    used_at = float("-inf")  # when a request that used this connection ended

    def close_if_unusable_or_obsolete(self) -> None:
        # Called as every request starts and ends; the check done means the request used it.
        if self.connection is not None and getattr(self, "health_check_done", False):
            self.used_at = time.monotonic()
        super().close_if_unusable_or_obsolete()

    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        if (
            self.errors_occurred
            or connection.info.transaction_status != TRANSACTION_STATUS_IDLE
            or time.monotonic() - self.used_at > RECENT_SECONDS
        ):
            return bool(super().is_usable())
        # Anything to read on an idle connection is the server's: most often its goodbye. Then
        # a new connection, whatever it said. (poll, not select: a descriptor past 1023 is fine.)
        waiting = select.poll()
        waiting.register(connection.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
        return not waiting.poll(0)
