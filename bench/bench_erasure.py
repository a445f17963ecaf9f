"""Erasure of one number held by 10 Clients among 1,000: locating its Contacts against the bare
index lookup (goal: at most 2x), and preview and execution on 10M calls against 1M calls with the
same 10 matches (goal: about 1 — the time follows the matches, not the size of the table).

The two data sets live side by side, 1M calls in the bench database (the size the dashboard uses
too) and 10M in a database of their own (`<bench database>_large`, built once and kept), each with
its own open connection: a side of a round puts its connection in place of Django's default, so
the two sizes alternate in the same run like any ours-and-limit pair. Each figure is a median."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlparse, urlunparse

from django.db import connection, connections

from bench.dataset import ensure_calls
from bench.harness import (
    Result,
    Samples,
    bench_database_url,
    ensure_database,
    paired_note,
    rounds,
    scaled,
    settle,
)

PHONE = "+33655500010"
HOLDERS = 10
CALLS_EACH = 5
SMALL = scaled(1_000_000, 10_000)
LARGE = scaled(10_000_000, 100_000)
LOCATE_BATCH = 20  # a lookup takes 0.1 ms: one sample times 20 of them, or the clock's noise wins
LOCATE_REPEATS = 31
PREVIEW_REPEATS = 15
EXECUTE_REPEATS = 9  # each planted again first (untimed)
WARMUP = 3


def _plant() -> None:
    """The number calls 10 bench Clients 5 times each (recreated before every execution)."""
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


def _unplant() -> None:
    """The planted calls (erased: kept, anonymised) and Contacts (left when not erased) go: the
    data set is left as it was found, and the next `_plant` starts afresh."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM calls_call WHERE external_id LIKE %s", ["erasure-%"])
        cursor.execute("DELETE FROM calls_contact WHERE phone_number = %s", [PHONE])


def _large_connection():
    """A second connection, to the 10M-call database (created and migrated when missing)."""
    from django.core.management import call_command
    from django.db.utils import load_backend

    parsed = urlparse(bench_database_url())
    name = f"{parsed.path.strip('/')}_large"
    ensure_database(urlunparse(parsed._replace(path=f"/{name}")))
    settings = copy.deepcopy(connections.settings["default"])
    settings["NAME"] = name
    wrapper = load_backend(settings["ENGINE"]).DatabaseWrapper(settings, "default")
    with _using(wrapper):
        call_command("migrate", verbosity=0)
    return wrapper


@contextmanager
def _using(wrapper) -> Iterator[None]:
    """`wrapper` as Django's default connection (the services and selectors use that one)."""
    previous = connections["default"]
    connections["default"] = wrapper
    try:
        yield
    finally:
        connections["default"] = previous


@dataclass
class Size:
    total: int
    connection: object

    def run(self, action: Callable[[], object]) -> object:
        with _using(self.connection):
            return action()

    def timed(self, action: Callable[[], object], before: Callable[[], object] = lambda: None):
        """A side of a round: `before` untimed, then `action`'s seconds, on this data set."""

        def side() -> float:
            with _using(self.connection):
                before()
                started = time.perf_counter()
                action()
                return time.perf_counter() - started

        return side


def _bare() -> None:
    for _ in range(LOCATE_BATCH):
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM calls_contact WHERE phone_number = %s", [PHONE])
            cursor.fetchall()


def _locate() -> None:
    from calls.selectors import contact_ids_locate_across_clients

    for _ in range(LOCATE_BATCH):
        contact_ids_locate_across_clients(phone=PHONE)


def _ms(samples: Samples, per: int = 1) -> Samples:
    return samples.map(lambda seconds: seconds * 1000 / per)


def run() -> list[Result]:
    from privacy.erasure import contact_erase_across_clients, contact_preview_across_clients

    small = Size(SMALL, connections["default"])
    large = Size(LARGE, _large_connection())
    try:
        for size in (small, large):
            # Each database keeps its size between runs: only a missing one is built.
            size.run(partial(ensure_calls, size.total))
            size.run(_unplant)  # what an interrupted run may have left
            size.run(_plant)
            size.run(lambda: settle("accounts_client", "calls_contact", "calls_call"))

        locating = rounds(
            {
                "small ours": small.timed(_locate),
                "small bare": small.timed(_bare),
                "large ours": large.timed(_locate),
                "large bare": large.timed(_bare),
            },
            repeats=LOCATE_REPEATS,
            warmup=WARMUP,
        )
        previews: list = []

        def preview() -> None:
            previews.append(contact_preview_across_clients(phone=PHONE))

        previewing = rounds(
            {"large": large.timed(preview), "small": small.timed(preview)},
            repeats=PREVIEW_REPEATS,
            warmup=WARMUP,
        )
        erasures: list = []

        def erase() -> None:
            erasures.append(contact_erase_across_clients(phone=PHONE))

        def replant() -> None:  # untimed: an erasure runs once, its number is planted again
            _unplant()
            _plant()

        # The first execution on each side is a warm-up (the number was planted above).
        executing = rounds(
            {
                "large": large.timed(erase, before=replant),
                "small": small.timed(erase, before=replant),
            },
            repeats=EXECUTE_REPEATS,
            warmup=1,
        )
        for size in (small, large):
            size.run(_unplant)
    finally:
        large.connection.close()  # type: ignore[attr-defined]

    matches = len(previews[-1].matches)
    erased = erasures[-1].total.get("calls", 0)
    alternated = "the two sizes alternated in the same rounds, each on its own connection"
    results = [
        Result.measured(
            f"locate one number's Contacts across 1,000 Clients ({matches} matches, {size.total:,} calls)",
            _ms(locating[f"{label} ours"], LOCATE_BATCH),
            _ms(locating[f"{label} bare"], LOCATE_BATCH),
            "ms",
            "≤ 2",
            False,
            [
                f"median of {LOCATE_REPEATS} alternated rounds of {LOCATE_BATCH} lookups each "
                f"(per lookup), after {WARMUP} warm-ups; the limit is the bare lookup on the "
                f"phone number's index; {alternated}",
                paired_note(locating[f"{label} ours"], locating[f"{label} bare"]),
            ],
        )
        for label, size in (("small", small), ("large", large))
    ]
    for name, measured, tries in (
        ("preview", previewing, PREVIEW_REPEATS),
        ("execute", executing, EXECUTE_REPEATS),
    ):
        results.append(
            Result.measured(
                f"{name} the erasure ({matches} matches, {erased} calls) "
                f"in {LARGE:,} calls vs in {SMALL:,}",
                _ms(measured["large"]),
                _ms(measured["small"]),
                "ms",
                "≈ 1 (grows with the matches, not the table)",
                False,
                [
                    f"median of {tries} alternated rounds, {alternated}"
                    + (
                        "; the number planted again (untimed) before each"
                        if name == "execute"
                        else ""
                    ),
                    paired_note(measured["large"], measured["small"]),
                ],
            )
        )
    return results
