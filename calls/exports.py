"""Calls exported to CSV and Excel (SPEC §6), from the call list's own selector and filters.

CSV streams row by row: on PostgreSQL straight out of `COPY (SELECT ...) TO STDOUT`, with the
time zone and the formula neutralisation done in SQL (the Python path is several times slower,
bench/bench_exports.py); elsewhere (SQLite in development) through a server-side iterator.
Excel is written by XlsxWriter in constant-memory mode, row by row, into a temporary file.
"""

from __future__ import annotations

import contextlib
import csv
import queue
import re
import tempfile
import threading
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet

from accounts.models import Client
from calls.models import Call

COLUMNS = (
    "call_id",
    "external_id",
    "started_at",
    "tracking_number",
    "source",
    "caller_number",
    "direction",
    "status",
    "duration_seconds",
    "has_recording",
    "has_voicemail",
)
# Formula injection (OWASP "CSV injection"): a cell starting with one of these is prefixed with '.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
XLSX_MAX_ROWS = 1_048_576
ITERATOR_CHUNK = 2000


def neutralise(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def phone_cell(value: str | None) -> str:
    if not value:
        return ""
    return value if E164.match(value) else neutralise(value)


_VALUES = (
    "id",
    "external_id",
    "started_at",
    "tracking_number__number",
    "tracking_number__source",
    "contact__phone_number",
    "direction",
    "status",
    "duration_seconds",
    "has_recording",
    "has_voicemail",
)


# Extra columns (calls.extensions, `?include=`): (column name, ORM path from Call), at the end.
Extra = tuple[tuple[str, str], ...]


def header(extra: Extra = ()) -> tuple[str, ...]:
    return (*COLUMNS, *(name for name, _ in extra))


def _extra_cell(value: Any) -> Any:
    """An extra column's cell: text neutralised, nothing as an empty cell, booleans kept."""
    if value is None:
        return ""
    return neutralise(value) if isinstance(value, str) else value


def export_rows(
    calls: QuerySet[Call], *, client: Client, extra: Extra = ()
) -> Iterator[tuple[Any, ...]]:
    """Typed rows in header order, times as the Client's wall-clock time (naive datetimes)."""
    if connection.vendor == "postgresql":
        return _rows_postgresql(calls, client=client, extra=extra)
    return (
        (*row[:2], row[2].replace(tzinfo=None), *row[3:])
        for row in _rows_django(calls, client=client, extra=extra)
    )


def _rows_django(
    calls: QuerySet[Call], *, client: Client, extra: Extra = ()
) -> Iterator[tuple[Any, ...]]:
    """Typed rows in header order, times aware in the Client's zone."""
    tz = client.tzinfo
    lookups = (*_VALUES, *(path for _, path in extra))
    for full in calls.values_list(*lookups).iterator(chunk_size=ITERATOR_CHUNK):
        row = full[: len(_VALUES)]
        (
            call_id,
            external_id,
            started_at,
            number,
            source,
            caller,
            direction,
            status,
            duration,
            recording,
            voicemail,
        ) = row
        yield (
            str(call_id),
            neutralise(external_id),
            started_at.astimezone(tz),
            phone_cell(number),
            neutralise(source),
            phone_cell(caller),
            direction,
            status,
            duration,
            recording,
            voicemail,
            *(_extra_cell(value) for value in full[len(_VALUES) :]),
        )


def _csv_cell(value: Any) -> Any:
    return ("true" if value else "false") if isinstance(value, bool) else value


class _Line:
    def write(self, value: str) -> str:
        return value


def csv_rows_python(calls: QuerySet[Call], *, client: Client, extra: Extra = ()) -> Iterator[bytes]:
    writer = csv.writer(_Line())
    yield writer.writerow(header(extra)).encode()
    batch: list[str] = []
    for row in _rows_django(calls, client=client, extra=extra):
        cells = [_csv_cell(value) for value in row]
        cells[2] = row[2].isoformat()
        batch.append(writer.writerow(cells))
        if len(batch) >= 500:
            yield "".join(batch).encode()
            batch = []
    if batch:
        yield "".join(batch).encode()


def _sql_neutralised(column: str) -> str:
    return (
        f"CASE WHEN left({column}, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') "
        f"THEN '''' || {column} ELSE {column} END"
    )


def _sql_phone(column: str) -> str:
    return f"CASE WHEN {column} ~ '^\\+[1-9][0-9]{{1,14}}$' THEN {column} ELSE {_sql_neutralised(column)} END"


def _sql_local_time(column: str) -> str:
    """ISO 8601 in the Client's zone with its offset, whatever the session's time zone."""
    local = f"({column} AT TIME ZONE %(tz)s)"
    offset = f"({local} - ({column} AT TIME ZONE 'UTC'))"
    return (
        f"to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN {offset} >= interval '0' "
        f"THEN '+' || to_char({offset}, 'HH24:MI') ELSE '-' || to_char(-{offset}, 'HH24:MI') END"
    )


def _sql_extra(column: str, *, for_csv: bool) -> str:
    if not for_csv:
        return column  # typed; formatted by _extra_cell
    return f"COALESCE({_sql_neutralised(f'{column}::text')}, '')"


def _export_select(
    calls: QuerySet[Call], *, client: Client, for_csv: bool, extra: Extra = ()
) -> str:
    """The selector's own query, its columns formatted by PostgreSQL for an export."""
    lookups = (*_VALUES, *(path for _, path in extra))
    inner, params = calls.values_list(*lookups).query.sql_with_params()
    select = ", ".join(
        [
            "e.c0::text",
            _sql_neutralised("e.c1"),
            _sql_local_time("e.c2") if for_csv else "(e.c2 AT TIME ZONE %(tz)s)",
            _sql_phone("e.c3"),
            _sql_neutralised("e.c4"),
            f"COALESCE({_sql_phone('e.c5')}, '')",
            "e.c6",
            "e.c7",
            "e.c8",
            "CASE WHEN e.c9 THEN 'true' ELSE 'false' END" if for_csv else "e.c9",
            "CASE WHEN e.c10 THEN 'true' ELSE 'false' END" if for_csv else "e.c10",
            *(
                _sql_extra(f"e.c{index}", for_csv=for_csv)
                for index in range(len(_VALUES), len(lookups))
            ),
        ]
    )
    names = ", ".join(f"c{index}" for index in range(len(lookups)))
    with connection.cursor() as cursor:
        # Bind the selector's parameters first (its SQL holds %s), then the time zone.
        inner_sql = cursor.mogrify(inner, params).decode().replace("%", "%%")
        outer = f"SELECT {select} FROM ({inner_sql}) AS e ({names})"
        return cursor.mogrify(outer, {"tz": client.time_zone}).decode()


def copy_sql(calls: QuerySet[Call], *, client: Client, extra: Extra = ()) -> str:
    """The COPY statement of the CSV export: times as ISO 8601 with the Client's offset."""
    query = _export_select(calls, client=client, for_csv=True, extra=extra)
    return f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER false)"


def _rows_postgresql(
    calls: QuerySet[Call], *, client: Client, extra: Extra = ()
) -> Iterator[tuple[Any, ...]]:
    # Formatted by the database and read through a server-side cursor: Python only writes.
    query = _export_select(calls, client=client, for_csv=False, extra=extra)
    connection.ensure_connection()
    with (
        transaction.atomic(),
        connection.connection.cursor(name=f"export_{uuid.uuid4().hex}") as cursor,
    ):
        cursor.itersize = ITERATOR_CHUNK
        cursor.execute(query)
        if not extra:
            yield from cursor
            return
        for row in cursor:
            yield (*row[: len(_VALUES)], *(_extra_cell(value) for value in row[len(_VALUES) :]))


class _QueueWriter:
    """What COPY writes into: a bounded queue, so the producer waits for a slow client."""

    def __init__(self, target: queue.Queue[bytes | BaseException | None]) -> None:
        self._target = target
        self._buffer: list[bytes] = []
        self._size = 0

    def write(self, data: bytes | str) -> None:
        chunk = data.encode() if isinstance(data, str) else data
        self._buffer.append(chunk)
        self._size += len(chunk)
        if self._size >= 64 * 1024:
            self.flush()

    def flush(self) -> None:
        if self._buffer:
            self._target.put(b"".join(self._buffer))
            self._buffer, self._size = [], 0


def _csv_copy(calls: QuerySet[Call], *, client: Client, extra: Extra = ()) -> Iterator[bytes]:
    sql = copy_sql(calls, client=client, extra=extra)
    chunks: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=16)
    connection.ensure_connection()
    raw = connection.connection  # psycopg2 connections may be used from another thread

    def produce() -> None:
        # COPY writes into a file-like object until done: a thread feeds the response through a
        # bounded queue, on the request's own connection (and transaction), which the request
        # thread leaves alone until the stream ends.
        try:
            with raw.cursor() as cursor:
                writer = _QueueWriter(chunks)
                cursor.copy_expert(sql, writer)
                writer.flush()
            chunks.put(None)
        except BaseException as error:  # handed to the consumer, which re-raises it
            chunks.put(error)

    yield (",".join(header(extra)) + "\r\n").encode()
    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        while (item := chunks.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        if thread.is_alive():
            # The client went away: cancel the COPY so the thread and connection are freed.
            raw.cancel()
            while thread.is_alive():
                with contextlib.suppress(queue.Empty):
                    chunks.get(timeout=0.1)
        thread.join()


def csv_stream(calls: QuerySet[Call], *, client: Client, extra: Extra = ()) -> Iterator[bytes]:
    if connection.vendor == "postgresql":
        return _csv_copy(calls, client=client, extra=extra)
    return csv_rows_python(calls, client=client, extra=extra)


def write_xlsx(
    rows: Iterator[tuple[Any, ...]], path: str, *, progress: Any = None, extra: Extra = ()
) -> int:
    """Write rows into an .xlsx at `path`; past the sheet limit, onto continuation sheets."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "tmpdir": tempfile.gettempdir()})
    bold = workbook.add_format({"bold": True})
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    widths = (38, 24, 20, 16, 18, 16, 10, 10, 16, 14, 14)
    count, sheets, sheet, sheet_row = 0, 0, None, XLSX_MAX_ROWS
    for row in rows:
        if sheet_row >= XLSX_MAX_ROWS:
            sheets += 1
            sheet = workbook.add_worksheet("Calls" if sheets == 1 else f"Calls ({sheets})")
            sheet.write_row(0, 0, header(extra), bold)
            sheet.freeze_panes(1, 0)
            for column, width in enumerate(widths):
                sheet.set_column(column, column, width, when if column == 2 else None)
            sheet_row = 1
        # Excel has no time zones: the Client's wall-clock time, as a real date.
        sheet.write_string(sheet_row, 0, row[0])
        sheet.write_string(sheet_row, 1, row[1])
        sheet.write_datetime(sheet_row, 2, row[2], when)
        for column in (3, 4, 5, 6, 7):
            sheet.write_string(sheet_row, column, row[column])
        sheet.write_number(sheet_row, 8, row[8])
        sheet.write_boolean(sheet_row, 9, row[9])
        sheet.write_boolean(sheet_row, 10, row[10])
        for column in range(len(COLUMNS), len(row)):
            value = row[column]
            if isinstance(value, bool):
                sheet.write_boolean(sheet_row, column, value)
            else:
                sheet.write_string(sheet_row, column, str(value))
        sheet_row += 1
        count += 1
        if progress is not None and count % 10_000 == 0:
            progress(count)
    if sheet is None:
        sheet = workbook.add_worksheet("Calls")
        sheet.write_row(0, 0, header(extra), bold)
        sheet.freeze_panes(1, 0)
    workbook.close()
    return count


class _Sink:
    """What zipfile writes into; the bytes are handed on as they come."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.offset = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self.offset

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def zip_stream(members: Iterator[tuple[str, Iterator[bytes]]]) -> Iterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:  # type: ignore[arg-type]
        for name, chunks in members:
            with archive.open(name, mode="w", force_zip64=True) as member:
                for chunk in chunks:
                    member.write(chunk)
                    if sink.offset and len(sink.parts) > 16:
                        yield sink.take()
            yield sink.take()
    yield sink.take()
