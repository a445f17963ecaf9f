"""Exports on PostgreSQL: CSV rows/s against `COPY (SELECT ...) TO STDOUT WITH CSV` of the same
columns (goal: at least 1/3), peak RSS at 100k and 1M rows (goal: flat, under 150 MB), and Excel
for 200,000 rows against XlsxWriter writing the same cells alone (goal: at most 1.3x)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

from bench.harness import ROOT, Result

TOTAL = 1_000_000
XLSX_ROWS = 200_000


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
    copy_full = _child("copy", TOTAL)
    ours_full = _child("csv", TOTAL)
    ours_small = _child("csv", 100_000)
    idle = _child("idle", 0)
    raw_xlsx = _child("xlsx-raw", XLSX_ROWS)
    ours_xlsx = _child("xlsx", XLSX_ROWS)
    return [
        Result(
            f"CSV export of {ours_full['rows']:,} calls (rows/s)",
            ours_full["rows"] / ours_full["seconds"],
            copy_full["rows"] / copy_full["seconds"],
            "rows/s",
            "≥ 0.33",
            True,
            [f"COPY alone {copy_full['seconds']:.1f} s, ours {ours_full['seconds']:.1f} s"],
        ),
        Result(
            "CSV export peak RSS, 100k then 1M rows",
            ours_full["peak_mib"],
            150,
            "MiB",
            "flat, < 150 MiB",
            False,
            [
                f"100k rows {ours_small['peak_mib']:.0f} MiB, 1M rows {ours_full['peak_mib']:.0f} MiB, idle process {idle['peak_mib']:.0f} MiB"
            ],
        ),
        Result(
            f"Excel export of {XLSX_ROWS:,} calls",
            ours_xlsx["seconds"],
            raw_xlsx["seconds"],
            "s",
            "≤ 1.3",
            False,
            [
                f"peak RSS ours {ours_xlsx['peak_mib']:.0f} MiB, writer alone {raw_xlsx['peak_mib']:.0f} MiB (rows held in memory)"
            ],
        ),
    ]


def child_main(kind: str, limit_rows: int) -> None:
    from bench.harness import peak_rss_mib, setup_django

    setup_django()
    from django.db import connection

    from accounts.models import Client
    from calls.exports import csv_stream, export_rows, write_xlsx
    from calls.filters import CallFilters
    from calls.selectors import call_list

    client = Client.objects.get(slug="bench-export")
    calls = call_list(client=client, filters=CallFilters())[:limit_rows] if limit_rows else None
    result: dict[str, float] = {"rows": limit_rows}
    started = time.perf_counter()
    if kind == "copy":

        class Null:
            def write(self, data: bytes) -> None:
                pass

        # The limit: the same columns and rows, hand-written, neither formatted nor neutralised.
        connection.ensure_connection()
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
        rows = -1
        for chunk in csv_stream(calls, client=client):
            rows += chunk.count(b"\n")
        result["rows"] = rows
    elif kind == "xlsx":
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as handle:
            result["rows"] = write_xlsx(export_rows(calls, client=client), handle.name)
    elif kind == "xlsx-raw":
        import xlsxwriter

        # The same cells, fetched beforehand (untimed): only the writer is timed.
        rows = list(export_rows(calls, client=client))
        started = time.perf_counter()
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as handle:
            book = xlsxwriter.Workbook(handle.name, {"constant_memory": True})
            sheet = book.add_worksheet()
            when = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
            for index, row in enumerate(rows, start=1):
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
    result["peak_mib"] = peak_rss_mib()
    print(json.dumps(result))
