"""Erasure of one number held by 10 Clients among 1,000 (1M calls): locating its Contacts against
the bare index lookup (goal: at most 2x), and the time to preview and to execute the erasure."""

from __future__ import annotations

import time

from django.db import connection

from bench.dataset import ensure_calls
from bench.harness import Result, best_of

PHONE = "+33655500010"
HOLDERS = 10
CALLS_EACH = 5


def _plant() -> None:
    """The number calls 10 bench Clients 5 times each (recreated before every run)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH holders AS (
                SELECT c.id, (SELECT t.id FROM calls_trackingnumber t WHERE t.client_id = c.id LIMIT 1) AS number
                FROM accounts_client c WHERE c.slug ~ '^bench-[0-9]+$'
                ORDER BY c.slug LIMIT %s
            ), contacts AS (
                INSERT INTO calls_contact (id, client_id, phone_number, created_at)
                SELECT gen_random_uuid(), id, %s, now() FROM holders
                ON CONFLICT DO NOTHING RETURNING id, client_id
            )
            INSERT INTO calls_call (id, client_id, external_id, tracking_number_id, contact_id, direction, status,
                                    started_at, duration_seconds, has_recording, has_voicemail, created_at, updated_at)
            SELECT gen_random_uuid(), contacts.client_id, 'erasure-' || contacts.id || '-' || n, holders.number,
                   contacts.id, 'inbound', 'answered', now() - n * interval '1 day', 60, false, false, now(), now()
            FROM contacts JOIN holders ON holders.id = contacts.client_id, generate_series(1, %s) n
            """,
            [HOLDERS, PHONE, CALLS_EACH],
        )


def run() -> list[Result]:
    from privacy.erasure import (
        _contacts_in_scope,
        contact_erase_across_clients,
        contact_preview_across_clients,
    )

    ensure_calls(1_000_000)
    _plant()

    def bare() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, client_id FROM calls_contact WHERE phone_number = %s", [PHONE]
            )
            cursor.fetchall()

    def locate() -> None:
        list(_contacts_in_scope(PHONE, None))

    bare()
    locate()
    limit = best_of(20, bare)
    ours = best_of(20, locate)
    preview = best_of(5, lambda: contact_preview_across_clients(phone=PHONE))
    started = time.perf_counter()
    erased = contact_erase_across_clients(phone=PHONE)
    execute = time.perf_counter() - started
    with connection.cursor() as cursor:  # leave the shared data set as it was
        cursor.execute("DELETE FROM calls_call WHERE external_id LIKE %s", ["erasure-%"])
    return [
        Result(
            f"locate one number's Contacts across 1,000 Clients ({len(erased.matches)} matches, 1M calls)",
            ours * 1000,
            limit * 1000,
            "ms",
            "≤ 2",
            False,
            [
                f"preview {preview * 1000:.1f} ms, execute {execute * 1000:.0f} ms ({erased.total.get('calls', 0)} calls anonymised)"
            ],
        )
    ]
