"""Erasure of one number held by 10 Clients among 1,000: locating its Contacts against the bare
index lookup (goal: at most 2x), and preview and execution timed on 1M then 10M calls with the
same 10 matches (goal: the time follows the matches, not the size of the table). Each figure is
a median: the lookup and its bare limit alternate; preview and execution, compared across two
data sets, are medians of repetitions on each."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import connection

from bench.dataset import calls_count, ensure_calls
from bench.harness import Result, Samples, alternate, repeat, scaled, settle

PHONE = "+33655500010"
HOLDERS = 10
CALLS_EACH = 5
SIZES = (scaled(1_000_000, 10_000), scaled(10_000_000, 100_000))
LOCATE_REPEATS = 51
PREVIEW_REPEATS = 11
EXECUTE_REPEATS = 5  # each planted again first


def _plant() -> None:
    """The number calls 10 bench Clients 5 times each (recreated before every measure)."""
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


@dataclass
class Measure:
    total: int
    bare: Samples
    locate: Samples
    preview: Samples
    execute: Samples
    matches: int
    calls: int


def _measure(total: int) -> Measure:
    from calls.selectors import contact_ids_locate_across_clients
    from privacy.erasure import contact_erase_across_clients, contact_preview_across_clients

    ensure_calls(total)
    _plant()
    settle("accounts_client", "calls_contact", "calls_call")

    def bare() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM calls_contact WHERE phone_number = %s", [PHONE])
            cursor.fetchall()

    def locate() -> None:
        contact_ids_locate_across_clients(phone=PHONE)

    ours, limit = alternate(locate, bare, LOCATE_REPEATS, warmup=5)
    preview = repeat(lambda: contact_preview_across_clients(phone=PHONE), PREVIEW_REPEATS, warmup=2)
    executions = []
    for attempt in range(EXECUTE_REPEATS):  # an erasure runs once: plant the number again for each
        if attempt:
            _plant()
        started = time.perf_counter()
        erased = contact_erase_across_clients(phone=PHONE)
        executions.append(time.perf_counter() - started)
        with connection.cursor() as cursor:  # its anonymised calls: leave the data set as it was
            cursor.execute("DELETE FROM calls_call WHERE external_id LIKE %s", ["erasure-%"])
    return Measure(
        total,
        limit,
        ours,
        preview,
        Samples(tuple(executions)),
        len(erased.matches),
        erased.total.get("calls", 0),
    )


def _ms(samples: Samples) -> Samples:
    return samples.map(lambda seconds: seconds * 1000)


def run() -> list[Result]:
    # The size already built goes first: one rebuild a run instead of two.
    order = sorted(SIZES, key=lambda total: abs(calls_count() - total))
    measures = {total: _measure(total) for total in order}
    small, large = measures[min(SIZES)], measures[max(SIZES)]
    results = [
        Result.measured(
            f"locate one number's Contacts across 1,000 Clients ({m.matches} matches, {m.total:,} calls)",
            _ms(m.locate),
            _ms(m.bare),
            "ms",
            "≤ 2",
            False,
            [
                f"median of {LOCATE_REPEATS} alternated after 5 warm-ups; the limit is the bare "
                "lookup on the phone number's index"
            ],
        )
        for m in (small, large)
    ]
    for name, tries in (("preview", PREVIEW_REPEATS), ("execute", EXECUTE_REPEATS)):
        results.append(
            Result.measured(
                f"{name} the erasure ({large.matches} matches, {large.calls} calls) "
                f"in {large.total:,} calls vs in {small.total:,}",
                _ms(getattr(large, name)),
                _ms(getattr(small, name)),
                "ms",
                "≈ 1 (grows with the matches, not the table)",
                False,
                [
                    f"median of {tries} on each data set (not alternated: the two sizes are "
                    "built one after the other); the same matches in the smaller table"
                ],
            )
        )
    return results
