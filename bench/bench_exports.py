"""Exports on PostgreSQL: CSV rows/s against `COPY (SELECT ...) TO STDOUT WITH CSV` of the same
columns (goal: at least 1/3), peak RSS at 100k and 1M rows (goal: flat, under 150 MB), and Excel
for 100,000 rows against XlsxWriter writing the same cells alone (goal: at most 1.3x). Each export
runs in its own process (its peak RSS is its own; the process is not timed, only the export in it);
ours and the limit alternate, and each side is the median of its runs. The tables are vacuumed and
analysed first, and a warm-up round of both reads the rows into the cache before any is timed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from bench.harness import ROOT, Result, Samples, paired_note, rounds, scaled, settle

TOTAL = scaled(1_000_000, 10_000)
SMALL = TOTAL // 10
# 100k rows: 15 s a side at full scale, so five alternated rounds fit in a few minutes (the ratio
# does not depend on the count: both sides are linear in it, with no fixed cost timed).
XLSX_ROWS = scaled(100_000, 2_000)
CSV_REPEATS = 5
XLSX_REPEATS = 5


def _child(kind: str, limit_rows: int) -> dict[str, float]:
    """Run one export in a fresh process, so its peak RSS is its own."""
    output = subprocess.run(
        [sys.executable, "-m", "bench.export_child", kind, str(limit_rows)],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def run() -> list[Result]:
    from bench.dataset import ensure_export_client

    ensure_export_client(TOTAL)
    settle("calls_call", "calls_contact", "calls_trackingnumber")
    children: dict[str, list[dict[str, float]]] = {}

    def side(kind: str, rows: int) -> Callable[[], float]:
        def measure() -> float:
            child = _child(kind, rows)
            children.setdefault(kind, []).append(child)
            return child["seconds"]

        return measure

    # One untimed round of both warms the page cache for every export after it.
    csv = rounds({"ours": side("csv", TOTAL), "copy": side("copy", TOTAL)}, CSV_REPEATS, warmup=1)
    # No warm-up round of its own: the CSV rounds above read these rows (the newest 100k of 1M).
    xlsx = rounds(
        {"ours": side("xlsx", XLSX_ROWS), "raw": side("xlsx-raw", XLSX_ROWS)},
        XLSX_REPEATS,
        warmup=0,
    )
    rows = children["csv"][-1]["rows"]
    small = _child("csv", SMALL)
    idle = _child("idle", 0)
    ours_peak = max(child["peak_mib"] for child in children["csv"])
    xlsx_peak = max(child["peak_mib"] for child in children["xlsx"])
    raw_peak = max(child["peak_mib"] for child in children["xlsx-raw"])

    def per_second(samples: Samples, count: float) -> Samples:
        return samples.map(lambda seconds: count / seconds)

    ours_rate, copy_rate = per_second(csv["ours"], rows), per_second(csv["copy"], TOTAL)
    return [
        Result.measured(
            f"CSV export of {rows:,} calls (rows/s)",
            ours_rate,
            copy_rate,
            "rows/s",
            "≥ 0.33",
            True,
            [
                f"median of {CSV_REPEATS} alternated runs after a warm-up of each, tables "
                f"vacuumed and analysed first; COPY alone {csv['copy'].median:.1f} s, "
                f"ours {csv['ours'].median:.1f} s",
                paired_note(ours_rate, copy_rate),
            ],
        ),
        Result(
            f"CSV export peak RSS, {SMALL:,} then {TOTAL:,} rows",
            ours_peak,
            150,
            "MiB",
            "flat, < 150 MiB",
            False,
            [
                f"{SMALL:,} rows {small['peak_mib']:.0f} MiB, {TOTAL:,} rows {ours_peak:.0f} MiB "
                f"(the highest of {CSV_REPEATS + 1} runs), idle process {idle['peak_mib']:.0f} MiB"
            ],
        ),
        Result.measured(
            f"Excel export of {XLSX_ROWS:,} calls",
            xlsx["ours"],
            xlsx["raw"],
            "s",
            "≤ 1.3",
            False,
            [
                f"median of {XLSX_REPEATS} alternated runs (the CSV runs warmed the rows)",
                paired_note(xlsx["ours"], xlsx["raw"]),
                f"peak RSS ours {xlsx_peak:.0f} MiB, writer alone {raw_peak:.0f} MiB (rows held in memory)",
            ],
        ),
    ]


def _own_peak_rss_mib() -> float:
    """This process's own peak RSS (VmHWM, kept by its address space since its exec). Not
    `getrusage`'s ru_maxrss: Linux carries the parent's high-water mark into a child across the
    fork and exec, so each child read as big as the bench process that started it (after the
    media or S3 benchmarks in the same run, 168 MiB for an idle child)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def child_main(kind: str, limit_rows: int) -> None:
    import django

    # The parent set DATABASE_URL to the bench database and migrated it: no migrate here, which
    # would cost every child seconds and count its imports in the idle process's memory.
    django.setup()
    from django.db import connection

    from accounts.models import Client
    from calls.exports import csv_stream, export_rows, write_xlsx
    from calls.filters import CallFilters
    from calls.selectors import call_list

    client = Client.objects.get(slug="bench-export")
    calls = call_list(client=client, filters=CallFilters())[:limit_rows]
    result: dict[str, float] = {"rows": limit_rows}
    connection.ensure_connection()  # the connection's setup is the process's cost: untimed
    started = time.perf_counter()
    if kind == "copy":

        class Null:
            def write(self, data: bytes) -> None:
                pass

        # The limit: the same columns and rows, hand-written, neither formatted nor neutralised.
        with connection.connection.cursor() as cursor:
            sql = cursor.mogrify(
                "COPY (SELECT c.id, c.external_id, c.started_at, t.number, t.source, ct.phone_number,"
                " c.direction, c.status, c.duration_seconds, c.has_recording, c.has_voicemail"
                " FROM calls_call c JOIN calls_trackingnumber t ON t.id = c.tracking_number_id"
                " LEFT JOIN calls_contact ct ON ct.id = c.contact_id WHERE c.client_id = %s"
                " ORDER BY c.started_at DESC, c.id DESC LIMIT %s) TO STDOUT WITH CSV",
                [client.pk, limit_rows],
            ).decode()
            cursor.copy_expert(sql, Null())
    elif kind == "csv":
        lines = -1  # the header
        for chunk in csv_stream(calls, client=client):
            lines += chunk.count(b"\n")
        result["rows"] = lines
    elif kind == "xlsx":
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as handle:
            result["rows"] = write_xlsx(export_rows(calls, client=client), handle.name)
    elif kind == "xlsx-raw":
        import xlsxwriter

        # The same cells, fetched beforehand (untimed): only the writer is timed.
        cells = list(export_rows(calls, client=client))
        started = time.perf_counter()
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as handle:
            book = xlsxwriter.Workbook(handle.name, {"constant_memory": True})
            sheet = book.add_worksheet()
            when = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
            for index, row in enumerate(cells, start=1):
                sheet.write_string(index, 0, row[0])
                sheet.write_string(index, 1, row[1])
                sheet.write_datetime(index, 2, row[2], when)
                for column in (3, 4, 5, 6, 7):
                    sheet.write_string(index, column, row[column])
                sheet.write_number(index, 8, row[8])
                sheet.write_boolean(index, 9, row[9])
                sheet.write_boolean(index, 10, row[10])
            book.close()
    result["seconds"] = time.perf_counter() - started
    result["peak_mib"] = _own_peak_rss_mib()
    print(json.dumps(result))
