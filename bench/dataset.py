"""The benchmark data set, made in SQL so a million calls take seconds, and reused between runs.

1,000 Clients (`bench-0` … `bench-999`), four tracking numbers each, and calls over 23 months:
`bench-0` holds a tenth of them (the Client the benchmarks look at), the rest share the others.
Every fifth call has no caller; callers repeat within a Client, as real ones do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.utils import timezone

CLIENTS = 1000
FOCUS_SLUG = "bench-0"
# The calls' span: within the 24 months that retention keeps (SPEC §9), with a month to spare.
# The retention benchmark runs the real purge, across Clients: a set spanning the full 730 days
# lost its oldest calls to it as they aged, and every later benchmark rebuilt its set.
SPAN_SECONDS = 700 * 86400
# A call's id as the application makes it (calls.models.uuid7, version 7): the time in
# milliseconds first. With the rows inserted in the order the calls happened, as ingestion writes
# them, a day's calls share neighbouring pages of the table and of its primary key.
TIME_ORDERED_ID = (
    "encode(set_byte(overlay(uuid_send(gen_random_uuid()) PLACING"
    " substring(int8send((extract(epoch FROM b.started_at) * 1000)::bigint) FROM 3) FROM 1 FOR 6),"
    " 6, 112 + (random() * 15)::int), 'hex')::uuid"
)


@contextmanager
def _bulk_load(cursor) -> Iterator[None]:
    """Inside a transaction: load calls_call without its secondary indexes (rebuilt at the end,
    far faster than maintained row by row) and, for a superuser, without the per-row foreign-key
    triggers, since every row is made consistent by construction. 10M calls then take minutes."""
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if cursor.fetchone()[0]:
        cursor.execute("SET LOCAL session_replication_role = replica")
    cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = 'calls_call'::regclass AND NOT i.indisunique"
    )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    yield
    for _, definition in indexes:
        cursor.execute(definition)


def calls_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM calls_call c JOIN accounts_client a ON a.id = c.client_id "
            "WHERE a.slug ~ '^bench-[0-9]+$'",
            [],
        )
        return cursor.fetchone()[0]


def ensure_calls(total: int) -> None:
    """Make the data set hold exactly `total` bench calls (rebuilt when the size differs)."""
    # Within 1 %: other benchmarks may have purged a few calls at the 24-month edge since.
    if abs(calls_count() - total) <= total // 100:
        return
    print(f"   building the data set: {total:,} calls across {CLIENTS:,} Clients …", flush=True)
    with transaction.atomic(), connection.cursor() as cursor, _bulk_load(cursor):
        cursor.execute(
            "DELETE FROM calls_call WHERE client_id IN (SELECT id FROM accounts_client WHERE slug ~ '^bench-[0-9]+$')",
            [],
        )
        cursor.execute(
            "DELETE FROM calls_contact WHERE client_id IN (SELECT id FROM accounts_client WHERE slug ~ '^bench-[0-9]+$')",
            [],
        )
        cursor.execute(
            "DELETE FROM calls_trackingnumber WHERE client_id IN (SELECT id FROM accounts_client WHERE slug ~ '^bench-[0-9]+$')",
            [],
        )
        cursor.execute("DELETE FROM accounts_client WHERE slug ~ '^bench-[0-9]+$'")
        cursor.execute(
            """
            INSERT INTO accounts_client (id, name, slug, time_zone, contract_start, is_active, created_at)
            SELECT gen_random_uuid(), 'Bench ' || g, 'bench-' || g, 'Europe/Paris', DATE '2024-01-01', true, now()
            FROM generate_series(0, %s - 1) g
            """,
            [CLIENTS],
        )
        cursor.execute(
            """
            INSERT INTO calls_trackingnumber (id, client_id, number, source, campaign, active, created_at)
            SELECT gen_random_uuid(), c.id, '+3318' || lpad((substr(c.slug, 7)::int * 4 + t)::text, 8, '0'),
                   (ARRAY['Google Ads', 'Website', 'Print', 'Facebook'])[t + 1], 'Bench', true, now()
            FROM accounts_client c, generate_series(0, 3) t
            WHERE c.slug ~ '^bench-[0-9]+$'
            """,
            [],
        )
        cursor.execute(
            """
            CREATE TEMP TABLE bench_clients ON COMMIT DROP AS
            SELECT c.id, substr(c.slug, 7)::int AS idx, array_agg(t.id ORDER BY t.number) AS numbers
            FROM accounts_client c JOIN calls_trackingnumber t ON t.client_id = c.id
            WHERE c.slug ~ '^bench-[0-9]+$' GROUP BY c.id, c.slug
            """,
            [],
        )
        cursor.execute("CREATE INDEX ON bench_clients (idx)")
        cursor.execute(
            """
            CREATE TEMP TABLE bench_calls ON COMMIT DROP AS
            SELECT g,
                   CASE WHEN g %% 10 = 0 THEN 0 ELSE 1 + (g %% (%s - 1)) END AS idx,
                   CASE WHEN g %% 5 = 0 THEN NULL
                        ELSE '+336' || lpad(((g * 7919) %% 400000)::text, 8, '0') END AS caller
            FROM generate_series(1::bigint, %s::bigint) g
            """,
            [CLIENTS, total],
        )
        cursor.execute(
            """
            INSERT INTO calls_contact (id, client_id, phone_number, created_at)
            SELECT gen_random_uuid(), bc.id, d.caller, now()
            FROM (SELECT DISTINCT idx, caller FROM bench_calls WHERE caller IS NOT NULL) d
            JOIN bench_clients bc ON bc.idx = d.idx
            """,
            [],
        )
        cursor.execute(
            f"""
            INSERT INTO calls_call (id, client_id, external_id, tracking_number_id, contact_id, direction,
                                    status, started_at, duration_seconds, has_recording, has_voicemail,
                                    created_at, updated_at)
            SELECT {TIME_ORDERED_ID}, bc.id, 'bench-' || b.g, bc.numbers[1 + (b.g %% 4)], ct.id,
                   CASE WHEN b.g %% 13 = 0 THEN 'outbound' ELSE 'inbound' END,
                   (ARRAY['answered', 'answered', 'answered', 'answered', 'answered', 'answered',
                          'missed', 'missed', 'voicemail', 'busy'])[1 + ((b.g * 31) %% 10)],
                   b.started_at, (b.g * 17) %% 600, false, false, now(), now()
            FROM (SELECT *, now() - ((g * 104729) %% %s) * interval '1 second' AS started_at
                  FROM bench_calls) b
            JOIN bench_clients bc ON bc.idx = b.idx
            LEFT JOIN calls_contact ct ON ct.client_id = bc.id AND ct.phone_number = b.caller
            ORDER BY b.started_at
            """,
            [SPAN_SECONDS],
        )
    with connection.cursor() as cursor:  # settled tables: fresh statistics, visibility map set
        cursor.execute(
            "VACUUM ANALYZE accounts_client, calls_trackingnumber, calls_contact, calls_call"
        )


def focus_client():
    from accounts.models import Client

    return Client.objects.get(slug=FOCUS_SLUG)


EXPORT_SLUG = "bench-export"
# The external ids of the calls ensure_today_in_full adds, and the first string past them all.
TODAY_PREFIX, TODAY_PREFIX_END = "today-", "today."
# The 5,000,000-call Client that the reports and the call list benchmarks share (one build).
FIVE_MILLION_SLUG = "bench-reports-big"


def ensure_export_client(total: int, slug: str = EXPORT_SLUG, *, rebuild: bool = False) -> None:
    """One Client holding `total` calls over 23 months (rebuilt when the size differs, or asked;
    the calls `ensure_today_in_full` added are not counted)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE c.external_id >= %s AND c.external_id < %s) "
            "FROM calls_call c JOIN accounts_client a ON a.id = c.client_id WHERE a.slug = %s",
            [TODAY_PREFIX, TODAY_PREFIX_END, slug],
        )
        calls, added = cursor.fetchone()
        if calls - added == total and not rebuild:
            return
    print(f"   building {slug}: {total:,} calls in one Client …", flush=True)
    with transaction.atomic(), connection.cursor() as cursor, _bulk_load(cursor):
        cursor.execute(
            "DELETE FROM calls_call WHERE client_id IN (SELECT id FROM accounts_client WHERE slug = %s)",
            [slug],
        )
        cursor.execute(
            "DELETE FROM calls_contact WHERE client_id IN (SELECT id FROM accounts_client WHERE slug = %s)",
            [slug],
        )
        cursor.execute(
            "DELETE FROM calls_trackingnumber WHERE client_id IN (SELECT id FROM accounts_client WHERE slug = %s)",
            [slug],
        )
        cursor.execute("DELETE FROM accounts_client WHERE slug = %s", [slug])
        cursor.execute(
            "INSERT INTO accounts_client (id, name, slug, time_zone, contract_start, is_active, created_at) "
            "VALUES (gen_random_uuid(), 'Export', %s, 'Europe/Paris', DATE '2024-01-01', true, now())",
            [slug],
        )
        cursor.execute(
            """
            INSERT INTO calls_trackingnumber (id, client_id, number, source, campaign, active, created_at)
            SELECT gen_random_uuid(), c.id, '+331849' || lpad(t::text, 5, '0'),
                   (ARRAY['Google Ads', '=Website', 'Print', 'Facebook'])[t + 1], 'Bench', true, now()
            FROM accounts_client c, generate_series(0, 3) t WHERE c.slug = %s
            """,
            [slug],
        )
        cursor.execute(
            """
            INSERT INTO calls_contact (id, client_id, phone_number, created_at)
            SELECT gen_random_uuid(), c.id, '+336' || lpad(g::text, 8, '0'), now()
            FROM accounts_client c, generate_series(1, 50000) g WHERE c.slug = %s
            """,
            [slug],
        )
        cursor.execute(
            f"""
            WITH client AS (SELECT id FROM accounts_client WHERE slug = %s),
                 numbers AS (SELECT array_agg(id ORDER BY number) AS ids FROM calls_trackingnumber WHERE client_id = (SELECT id FROM client)),
                 contacts AS (SELECT array_agg(id ORDER BY phone_number) AS ids FROM calls_contact WHERE client_id = (SELECT id FROM client))
            INSERT INTO calls_call (id, client_id, external_id, tracking_number_id, contact_id, direction,
                                    status, started_at, duration_seconds, has_recording, has_voicemail,
                                    created_at, updated_at)
            SELECT {TIME_ORDERED_ID}, (SELECT id FROM client), 'export-' || g, numbers.ids[1 + (g %% 4)],
                   CASE WHEN g %% 5 = 0 THEN NULL ELSE contacts.ids[1 + (g %% 50000)] END,
                   'inbound', (ARRAY['answered', 'missed', 'voicemail', 'busy'])[1 + (g %% 4)],
                   b.started_at, g %% 600, g %% 7 = 0, g %% 11 = 0, now(), now()
            FROM (SELECT g, now() - ((g * 104729) %% %s) * interval '1 second' AS started_at
                  FROM generate_series(1::bigint, %s::bigint) g) b, numbers, contacts
            ORDER BY b.started_at
            """,
            [slug, SPAN_SECONDS, total],
        )
    with connection.cursor() as cursor:  # settled tables: fresh statistics, visibility map set
        cursor.execute("VACUUM ANALYZE calls_call, calls_contact, calls_trackingnumber", [])


def ensure_today_in_full(slug: str, total: int) -> int:
    """Give the Client's today (its local day) as many calls as the data set's days hold on
    average (`total` calls over SPAN_SECONDS), whatever the hour: today's calls are read from
    the calls themselves (SPEC §15), and a data set built or measured early in the day would
    otherwise show a dashboard that has read almost none. The calls added are spread over the
    whole day (later hours included), made as the data set's are (numbers, statuses, callers;
    the first number's calls attributed, with their copy on the call) and written as a day's
    calls arrive: at the end of the table, today's mark made. Returns how many were added.

    They stay when the day is over, as a past day's calls (its mark asks for a fold)."""
    from accounts.models import Client
    from reports.services import dirty_days_mark

    client = Client.objects.get(slug=slug)
    day = timezone.localdate(timezone=client.tzinfo)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=client.tzinfo)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=client.tzinfo)
    wanted = round(total * 86400 / SPAN_SECONDS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM calls_call WHERE client_id = %s"
            " AND started_at >= %s AND started_at < %s",
            [client.pk, start, end],
        )
        missing = wanted - cursor.fetchone()[0]
        if missing <= 0:
            return 0
        # In UTC: two moments of one ZoneInfo subtract as wall clocks (a day of 23 or 25 hours
        # would read 24).
        seconds = (end.astimezone(dt.UTC) - start.astimezone(dt.UTC)).total_seconds() / missing
        # Ids of their own (a second top-up of the same day); the attributions of the calls this
        # statement inserts, and only theirs.
        cursor.execute(
            f"""
            WITH numbers AS (SELECT array_agg(id ORDER BY number) AS ids FROM calls_trackingnumber
                             WHERE client_id = %(client)s),
                 contacts AS (SELECT array_agg(id ORDER BY phone_number) AS ids FROM calls_contact
                              WHERE client_id = %(client)s),
                 added AS (
            INSERT INTO calls_call (id, client_id, external_id, tracking_number_id, contact_id,
                                    direction, status, started_at, duration_seconds,
                                    has_recording, has_voicemail, is_first_call,
                                    attributed_channel, attributed_campaign, created_at, updated_at)
            SELECT {TIME_ORDERED_ID}, %(client)s, %(prefix)s || %(day)s || '-' || gen_random_uuid(),
                   numbers.ids[1 + (b.g %% 4)],
                   CASE WHEN b.g %% 5 = 0 THEN NULL
                        ELSE contacts.ids[1 + (b.g %% array_length(contacts.ids, 1))] END,
                   'inbound', (ARRAY['answered', 'missed', 'voicemail', 'busy'])[1 + (b.g %% 4)],
                   b.started_at, b.g %% 600, b.g %% 7 = 0, b.g %% 11 = 0, false,
                   CASE WHEN b.g %% 4 = 0
                        THEN (ARRAY['paid_search', 'social'])[1 + (b.g %% 600 %% 2)] ELSE '' END,
                   CASE WHEN b.g %% 4 = 0
                        THEN (ARRAY['spring', 'autumn'])[1 + (b.g %% 600 / 7 %% 2)] END,
                   now(), now()
            FROM (SELECT g, %(start)s + (g - 0.5) * %(seconds)s * interval '1 second' AS started_at
                  FROM generate_series(1, %(missing)s) g) b, numbers, contacts
            ORDER BY b.started_at
            RETURNING id, client_id, attributed_channel, attributed_campaign)
            INSERT INTO attribution_callattribution
                (call_id, client_id, visit_id, channel, source, medium, campaign, term, content,
                 landing_path, referrer_host, click_id_kind, click_id, ambiguous, matched_at)
            SELECT id, client_id, NULL, attributed_channel, 'google', 'cpc', attributed_campaign,
                   '', '', '/', '', '', '', false, now()
            FROM added WHERE attributed_channel <> ''
            """,
            {
                "client": client.pk,
                "prefix": TODAY_PREFIX,
                "day": day.isoformat(),
                "start": start,
                "seconds": seconds,
                "missing": missing,
            },
        )
        dirty_days_mark(client=client, days=[day])
    return missing
