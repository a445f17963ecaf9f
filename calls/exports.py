"""Calls exported to CSV and Excel (SPEC §6), from the call list's own selector and filters.

CSV streams row by row: on PostgreSQL straight out of `COPY (SELECT ...) TO STDOUT`, with the
time zone and the formula neutralisation done in SQL (the ORM path is several times slower,
bench/bench_exports.py); elsewhere (SQLite in development) the plain ORM through an iterator. Both
write the same bytes for the same calls (tests/calls/test_exports.py compares them on PostgreSQL):
times to the whole second with their offset, lines ending in a line feed.
Excel is written by XlsxWriter in constant-memory mode, row by row, into a temporary file, from the
ORM's rows on every database (the writer, not the query, is its cost: bench/bench_exports.py).
`?include=<set>` adds a registered column set at the end (`export_column_set_register`, called
by a higher app from its AppConfig.ready(): attribution's columns), on every path alike.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import itertools
import queue
import re
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import xlsxwriter
from django.db import connection
from django.db.models import QuerySet
from django.utils.formats import get_format

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
_BOOLEAN_CELLS = frozenset({COLUMNS.index("has_recording"), COLUMNS.index("has_voicemail")})
# Formula injection (OWASP "CSV injection"): a cell starting with one of these is prefixed with '.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
XLSX_MAX_ROWS = 1_048_576
CSV_DELIMITERS = (",", ";")  # SPEC §6's, and the excel dialect's for French (SPEC §14)
ITERATOR_CHUNK = 2000  # rows fetched per round trip by the Python exports; cost not measured


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
# The names COPY gives the selector's columns: the ORM's, with "__" as "_".
_VALUE_NAMES = tuple(value.replace("__", "_") for value in _VALUES)

# Extra columns: (column name, ORM path from Call), text or boolean; a relation the call lacks
# exports an empty cell.
Extra = tuple[tuple[str, str], ...]
EXPORT_COLUMN_SETS: dict[str, Extra] = {}


def export_column_set_register(name: str, columns: Extra) -> None:
    """Offer `?include=<name>` on the exports (from a higher app's AppConfig.ready())."""
    EXPORT_COLUMN_SETS[name] = columns


def header(extra: Extra = ()) -> tuple[str, ...]:
    return (*COLUMNS, *(name for name, _path in extra))


def _extra_cell(value: Any) -> Any:
    """An extra column's cell: booleans kept, text neutralised, nothing as None."""
    if value is None or isinstance(value, bool):
        return value
    return neutralise(str(value))


def export_rows(
    calls: QuerySet[Call], *, client: Client, extra: Extra = ()
) -> Iterator[tuple[Any, ...]]:
    """Typed rows in COLUMNS order for Excel, on every database: times as the Client's
    wall-clock time (naive datetimes, since Excel has no time zones), to the second, so a call
    at 23:59:59.999999 is not rounded into the next day by Excel's millisecond dates."""
    tz = client.tzinfo
    return _rows(
        calls,
        local_time=lambda when: when.astimezone(tz).replace(microsecond=0, tzinfo=None),
        extra=extra,
    )


def _rows(
    calls: QuerySet[Call], *, local_time: Callable[[dt.datetime], Any], extra: Extra = ()
) -> Iterator[tuple[Any, ...]]:
    """Rows in header order, text cells neutralised, `started_at` as `local_time` makes it."""
    lookups = (*_VALUES, *(path for _name, path in extra))
    for full in calls.values_list(*lookups).iterator(chunk_size=ITERATOR_CHUNK):
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
        ) = full[: len(_VALUES)]
        yield (
            str(call_id),
            neutralise(external_id),
            local_time(started_at),
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


class _Line:
    def write(self, value: str) -> str:
        return value


def _csv_line(writer: Any, cells: Iterable[Any]) -> str:
    # The writer quotes a cell holding "\r" or "\n" only when its line terminator holds that
    # character, so it writes "\r\n"; the line then ends in "\n", as PostgreSQL's COPY ends it.
    return writer.writerow(cells)[:-2] + "\n"


def _csv_extra(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def csv_rows_python(
    calls: QuerySet[Call], *, client: Client, extra: Extra = (), delimiter: str = ","
) -> Iterator[bytes]:
    """The CSV through the ORM: byte for byte what `csv_stream` makes with COPY on PostgreSQL."""
    writer = csv.writer(_Line(), lineterminator="\r\n", delimiter=delimiter)
    yield _csv_line(writer, header(extra)).encode()
    batch: list[str] = []
    tz = client.tzinfo
    for row in _rows(
        calls,
        local_time=lambda when: when.astimezone(tz).replace(microsecond=0).isoformat(),
        extra=extra,
    ):
        cells = [
            ("true" if value else "false") if index in _BOOLEAN_CELLS else value
            for index, value in enumerate(row[: len(COLUMNS)])
        ]
        cells += [_csv_extra(value) for value in row[len(COLUMNS) :]]
        batch.append(_csv_line(writer, cells))
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


def _sql_text(expression: str) -> str:
    # COPY quotes an empty string ("") to tell it from NULL; the csv module writes nothing.
    return f"NULLIF({expression}, '')"


def _sql_local_time(column: str) -> str:
    """ISO 8601 in the Client's zone with its offset, to the second (to_char's SS drops the
    fraction, as the ORM path's `replace(microsecond=0)`), whatever the session's time zone."""
    local = f"({column} AT TIME ZONE %(tz)s)"
    offset = f"({local} - ({column} AT TIME ZONE 'UTC'))"
    return (
        f"to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN {offset} >= interval '0' "
        f"THEN '+' || to_char({offset}, 'HH24:MI') ELSE '-' || to_char(-{offset}, 'HH24:MI') END"
    )


def copy_sql(
    calls: QuerySet[Call], *, client: Client, extra: Extra = (), delimiter: str = ","
) -> str:
    """The COPY statement of the CSV export: the selector's own query, its columns formatted by
    PostgreSQL as `csv_rows_python` formats them."""
    lookups = (*_VALUES, *(path for _name, path in extra))
    inner, params = calls.values_list(*lookups).query.sql_with_params()
    extra_names = tuple(f"extra_{index}" for index in range(len(extra)))
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
    ) = (f"e.{name}" for name in _VALUE_NAMES)
    select = ", ".join(
        [
            f"{call_id}::text",
            _sql_text(_sql_neutralised(external_id)),
            _sql_local_time(started_at),
            _sql_text(_sql_phone(number)),
            _sql_text(_sql_neutralised(source)),
            _sql_text(_sql_phone(caller)),
            direction,
            status,
            duration,
            f"CASE WHEN {recording} THEN 'true' ELSE 'false' END",
            f"CASE WHEN {voicemail} THEN 'true' ELSE 'false' END",
            # A boolean's text is true/false, as the ORM path writes it; NULL an empty cell.
            *(_sql_text(_sql_neutralised(f"e.{name}::text")) for name in extra_names),
        ]
    )
    with connection.cursor() as cursor:
        # Bind the selector's parameters first (its SQL holds %s), then the time zone.
        inner_sql = cursor.mogrify(inner, params).decode().replace("%", "%%")
        names = ", ".join((*_VALUE_NAMES, *extra_names))
        outer = f"SELECT {select} FROM ({inner_sql}) AS e ({names})"
        query = cursor.mogrify(outer, {"tz": client.time_zone}).decode()
    if delimiter not in CSV_DELIMITERS:
        raise ValueError(f"unsupported CSV delimiter {delimiter!r}")
    return f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER false, DELIMITER '{delimiter}')"


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


def _csv_copy(
    calls: QuerySet[Call], *, client: Client, extra: Extra = (), delimiter: str = ","
) -> Iterator[bytes]:
    sql = copy_sql(calls, client=client, extra=extra, delimiter=delimiter)
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

    yield (delimiter.join(header(extra)) + "\n").encode()
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


def csv_stream(
    calls: QuerySet[Call], *, client: Client, extra: Extra = (), dialect: str = ""
) -> Iterator[bytes]:
    """SPEC §6's CSV; with `dialect="excel"` (SPEC §14) what a spreadsheet opens well in the
    active language: a UTF-8 BOM first, and `;` between cells where the decimal separator is a
    comma (French), as Excel there expects. The columns hold no fractional numbers, so the
    decimal comma has nothing else to change."""
    delimiter = ","
    if dialect == "excel" and get_format("DECIMAL_SEPARATOR") == ",":
        delimiter = ";"
    if connection.vendor == "postgresql":
        rows = _csv_copy(calls, client=client, extra=extra, delimiter=delimiter)
    else:
        rows = csv_rows_python(calls, client=client, extra=extra, delimiter=delimiter)
    if dialect == "excel":
        return itertools.chain([codecs.BOM_UTF8], rows)
    return rows


def write_xlsx(
    rows: Iterator[tuple[Any, ...]], path: str, *, progress: Any = None, extra: Extra = ()
) -> int:
    """Write rows into an .xlsx at `path`; past the sheet limit, onto continuation sheets."""
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "tmpdir": tempfile.gettempdir()})
    bold = workbook.add_format({"bold": True})
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    widths = (38, 24, 20, 16, 18, 16, 10, 10, 16, 14, 14)
    sheet: Any = None  # the first row opens the first sheet
    count, sheets, sheet_row = 0, 0, XLSX_MAX_ROWS
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
            elif value:
                sheet.write_string(sheet_row, column, value)
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
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:  # type: ignore[call-overload]
        for name, chunks in members:
            with archive.open(name, mode="w", force_zip64=True) as member:
                for chunk in chunks:
                    member.write(chunk)
                    if sink.offset and len(sink.parts) > 16:
                        yield sink.take()
            yield sink.take()
    yield sink.take()
