"""Shared pieces of the benchmarks: the bench database, repeated and alternated timing with
its spread, memory, and the results file (with the previous run's figures kept beside it)."""

from __future__ import annotations

import http.client
import json
import math
import os
import re
import resource
import runpy
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results.md"
# Overridable so that parallel runs (other branches, other schemas) do not share one database.
BENCH_DB = os.environ.get("BENCH_DB", "dexem_bench")
# A row whose median moves more than this between its repetitions prints no ratio: the run is
# too noisy to tell a regression from chance (half the interquartile range, over the median).
MAX_SPREAD = 0.10


def scale() -> float:
    """BENCH_SCALE (default 1): the fraction of the data sets and byte counts to use, so a
    smoke test (BENCH_SCALE=0.01) runs every module in seconds. Its figures mean nothing."""
    try:
        value = float(os.environ.get("BENCH_SCALE", "1"))
    except ValueError:
        sys.exit("BENCH_SCALE must be a number, such as 0.01.")
    if not 0 < value <= 1:
        sys.exit("BENCH_SCALE must be above 0 and at most 1.")
    return value


def scaled(amount: int, minimum: int = 1) -> int:
    return max(minimum, int(amount * scale()))


def results_path(suffix: str) -> Path:
    """bench/results.md and .json; a smaller scale writes its own, never the real figures."""
    stem = "results" if scale() == 1 else f"results-scale-{scale():g}"
    return RESULTS.with_name(f"{stem}.{suffix}")


# --- repetitions and their spread -------------------------------------------------------------


@dataclass(frozen=True)
class Samples:
    """Repeated measures of one side of a row, in the unit the row reports."""

    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError("no samples")

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def quartiles(self) -> tuple[float, float]:
        if len(self.values) < 2:
            return self.values[0], self.values[0]
        q1, _, q3 = statistics.quantiles(self.values, n=4, method="inclusive")
        return q1, q3

    @property
    def spread(self) -> float:
        """Half the interquartile range relative to the median: ±0.05 reads "±5 %"."""
        q1, q3 = self.quartiles
        median = self.median
        return (q3 - q1) / 2 / abs(median) if median else (0.0 if q1 == q3 else float("inf"))

    def map(self, convert: Callable[[float], float]) -> Samples:
        """The same measures in another unit (seconds to MB/s, say)."""
        return Samples(tuple(convert(value) for value in self.values))


def paired_ratios(ours: Samples, limit: Samples) -> Samples:
    """Each round's ours/limit, from two sides measured in the same rounds (`rounds`, `alternate`):
    a drift of the machine hits both measures of a round alike, so on a busy machine the spread of
    these ratios is often far smaller than either side's."""
    return Samples(tuple(a / b for a, b in zip(ours.values, limit.values, strict=True)))


def paired_note(ours: Samples, limit: Samples) -> str:
    """A row's note: the median of its per-round ratios, with their interquartile range."""
    ratios = paired_ratios(ours, limit)
    low, high = ratios.quartiles
    return (
        f"per-round ratio {ratios.median:.2f} (IQR {low:.2f} to {high:.2f}, "
        f"±{ratios.spread * 100:.0f} %)"
    )


def _time(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def repeat(action: Callable[[], object], repeats: int, warmup: int = 1) -> Samples:
    """Seconds per call of `action`, `repeats` times after `warmup` untimed calls."""
    for _ in range(warmup):
        action()
    return Samples(tuple(_time(action) for _ in range(repeats)))


def rounds(
    sides: dict[str, Callable[[], float]], repeats: int, warmup: int = 1, batch: int = 1
) -> dict[str, Samples]:
    """Each side's measures (whatever each callable returns: seconds, a rate), taken in rounds
    of one measure per side, A B C A B C …, so that a drift of the machine (another process,
    the CPU's clock, the page cache) hits every side alike. Who goes first rotates from one
    round to the next: no side always follows the same other side's cache state.

    With `batch`, a measure is the mean of `batch` calls, and the sides' calls alternate one by
    one within the round (A B C A B C … `batch` times): a call of a few milliseconds is at the
    mercy of a scheduler tick, and on a shared machine whose speed drifts by the second, sides
    measured a whole batch apart drift apart (their rounds' ratios spread by 10-16 %, against a
    few per cent alternated call by call). `warmup` counts whole measures."""
    names = list(sides)
    for _ in range(warmup * batch):
        for name in names:
            sides[name]()
    measures: dict[str, list[float]] = {name: [] for name in names}
    for index in range(repeats):
        shift = index % len(names)
        order = names[shift:] + names[:shift]
        totals = dict.fromkeys(names, 0.0)
        for _ in range(batch):
            for name in order:
                totals[name] += sides[name]()
        for name in names:
            measures[name].append(totals[name] / batch)
    return {name: Samples(tuple(values)) for name, values in measures.items()}


def best_of(repeats: int, action: Callable[[], object]) -> float:
    """The fastest of `repeats` calls, in seconds. Kept only for bench modules written before
    `repeat`/`alternate` (bench_s3 on its branch); a best-of figure hides the spread that
    issue 19 asks every row to show: new rows use `repeat` or `alternate` instead."""
    return min(repeat(action, repeats, warmup=0).values)


def seconds_of(action: Callable[[], object]) -> Callable[[], float]:
    """`action` made into a side of `rounds`: it answers the seconds it took."""
    return lambda: _time(action)


def alternate(
    ours: Callable[[], object],
    limit: Callable[[], object],
    repeats: int,
    warmup: int = 1,
) -> tuple[Samples, Samples]:
    """Seconds per call of each side, alternated in the same run (see `rounds`)."""
    measured = rounds(
        {"ours": seconds_of(ours), "limit": seconds_of(limit)}, repeats=repeats, warmup=warmup
    )
    return measured["ours"], measured["limit"]


# --- a row of the results -------------------------------------------------------------------


def _key(name: str) -> str:
    """The row's identity across runs: its name without the figures it carries."""
    return re.sub(r"\d[\d,.]*", "#", name)


@dataclass
class Result:
    """One row: `ours` against `limit`, with their repetitions when they were repeated.

    `ours`/`limit` are the figures compared (the medians when samples are given); a row measured
    once (a count, a peak memory) gives no samples and is not checked for spread."""

    name: str
    ours: float
    limit: float
    unit: str
    goal: str
    higher_is_better: bool
    notes: list[str] = field(default_factory=list)
    ours_samples: Samples | None = None
    limit_samples: Samples | None = None
    previous_ratio: float | None = None
    # The two sides were measured in the same rounds (`rounds`): the row's ratio is the median
    # of the rounds' own ratios, and its spread theirs. A drift of the machine from one round to
    # the next moves both sides of a round alike: it widens each side's spread, not the ratio's.
    paired: bool = False

    @classmethod
    def measured(
        cls,
        name: str,
        ours: Samples,
        limit: Samples,
        unit: str,
        goal: str,
        higher_is_better: bool,
        notes: Sequence[str] = (),
        paired: bool = False,
    ) -> Result:
        return cls(
            name=name,
            ours=ours.median,
            limit=limit.median,
            unit=unit,
            goal=goal,
            higher_is_better=higher_is_better,
            notes=list(notes),
            ours_samples=ours,
            limit_samples=limit,
            paired=paired,
        )

    @property
    def key(self) -> str:
        return _key(self.name)

    @property
    def _round_ratios(self) -> Samples | None:
        """None for an unpaired row, or one with a round whose limit measured 0 (a load side
        that answered nothing): it is read as an unpaired row."""
        ours, limit = self.ours_samples, self.limit_samples
        if self.paired and ours and limit and 0 not in limit.values:
            return paired_ratios(ours, limit)
        return None

    @property
    def ratio(self) -> float:
        if (round_ratios := self._round_ratios) is not None:
            return round_ratios.median
        if self.higher_is_better:
            return self.ours / self.limit if self.limit else 0.0
        return self.ours / self.limit if self.limit else float("inf")

    @property
    def spread(self) -> float:
        """The spread of the rounds' ratios for a paired row, else the wider of the two sides'
        spreads (0 for a row measured once)."""
        if (round_ratios := self._round_ratios) is not None:
            return round_ratios.spread
        return max(
            (samples.spread for samples in (self.ours_samples, self.limit_samples) if samples),
            default=0.0,
        )

    @property
    def too_wide(self) -> bool:
        return self.spread > MAX_SPREAD

    def ratio_text(self) -> str:
        if self.too_wide:
            # Rounded up: a row just past ±10 % must not read "too wide (±10 %)".
            return f"spread too wide (±{math.ceil(round(self.spread * 100, 6))} %)"
        if (round_ratios := self._round_ratios) is not None:
            low, high = round_ratios.quartiles
            return f"**{self.ratio:.2f}** (per round; IQR {low:.2f} to {high:.2f})"
        return f"**{self.ratio:.2f}**"

    def change_text(self) -> str:
        """The ratio's change since the previous run of the same row."""
        if self.previous_ratio is None:
            return "—"
        if self.too_wide or not self.previous_ratio:
            return f"was {self.previous_ratio:.2f}"
        change = (self.ratio - self.previous_ratio) / self.previous_ratio * 100
        if round(change) == 0:
            return f"was {self.previous_ratio:.2f} (same)"
        better = (change > 0) == self.higher_is_better
        return f"was {self.previous_ratio:.2f} ({change:+.0f} %, {'better' if better else 'worse'})"

    def _side(self, value: float, samples: Samples | None) -> str:
        text = f"{value:,.3f} {self.unit}"
        if samples is not None and len(samples.values) > 1:
            low, high = samples.quartiles
            text += f" (IQR {low:,.3f} to {high:,.3f}, ±{samples.spread * 100:.0f} %, n={len(samples.values)})"
        return text

    def summary(self) -> str:
        """One line for the terminal: the ratio, its spread and its change since the last run."""
        if self.too_wide:
            ratio = self.ratio_text()
        else:
            ratio = f"{self.ratio:.2f}"
            if self.ours_samples or self.limit_samples:
                ratio += f" ±{self.spread * 100:.0f} %" + (" per round" if self.paired else "")
        return f"{self.name}: {ratio} ({self.change_text()}; goal {self.goal})"

    def line(self) -> str:
        return (
            f"| {self.name} | {self._side(self.ours, self.ours_samples)} "
            f"| {self._side(self.limit, self.limit_samples)} | {self.ratio_text()} "
            f"| {self.change_text()} | {self.goal} | {'; '.join(self.notes)} |"
        )

    def to_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "name": self.name,
            "ours": self.ours,
            "limit": self.limit,
            "unit": self.unit,
            "goal": self.goal,
            "higher_is_better": self.higher_is_better,
            "notes": self.notes,
            "ours_samples": list(self.ours_samples.values) if self.ours_samples else None,
            "limit_samples": list(self.limit_samples.values) if self.limit_samples else None,
            "ratio": None if self.too_wide else self.ratio,
            "previous_ratio": self.previous_ratio,
            "paired": self.paired,
        }

    @classmethod
    def from_json(cls, data: dict) -> Result:
        return cls(
            name=data["name"],
            ours=data["ours"],
            limit=data["limit"],
            unit=data["unit"],
            goal=data["goal"],
            higher_is_better=data["higher_is_better"],
            notes=list(data["notes"]),
            ours_samples=Samples(tuple(data["ours_samples"])) if data["ours_samples"] else None,
            limit_samples=(
                Samples(tuple(data["limit_samples"])) if data["limit_samples"] else None
            ),
            previous_ratio=data["previous_ratio"],
            paired=data.get("paired", False),
        )


# --- the database ---------------------------------------------------------------------------


def bench_database_url() -> str:
    """BENCH_DATABASE_URL as given (its database name included, so runs side by side need not
    share one); otherwise DATABASE_URL's server with the BENCH_DB database (`dexem_bench`)."""
    explicit = os.environ.get("BENCH_DATABASE_URL")
    base = explicit or os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parsed = urlparse(base)
    if not parsed.scheme.startswith("postgres"):
        sys.exit("The benchmarks need PostgreSQL: set DATABASE_URL or BENCH_DATABASE_URL.")
    if explicit and parsed.path.strip("/"):
        return base
    return urlunparse(parsed._replace(path=f"/{BENCH_DB}"))


def ensure_database(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    parsed = urlparse(url)
    name = parsed.path.strip("/")
    admin = psycopg2.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()


def setup_django() -> str:
    url = bench_database_url()
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def settle(*tables: str) -> None:
    """Fresh statistics and a set visibility map before timing, whether the data set was just
    built or changed by another benchmark: the first query after a build is not the measured one."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@contextmanager
def timed() -> Iterator[Callable[[], float]]:
    start = time.perf_counter()
    elapsed: list[float] = []
    yield lambda: elapsed[0] if elapsed else time.perf_counter() - start
    elapsed.append(time.perf_counter() - start)


# --- the results file -----------------------------------------------------------------------


def _number(cell: str) -> tuple[float, str]:
    value, _, unit = cell.partition(" ")
    return float(value.replace(",", "")), unit


def _results_from_markdown(path: Path) -> dict[str, list[Result]]:
    """The rows of a results.md written before results.json existed (one figure per side), so
    that run still serves as the previous one and a partial run keeps its other sections."""
    if not path.exists():
        return {}
    sections: dict[str, list[Result]] = {}
    current = None
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            sections[current] = []
        elif (
            current is not None
            and line.startswith("| ")
            and not line.startswith(("| measure", "| ---"))
        ):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if len(cells) != 6:
                continue
            (ours, unit), (limit, _) = _number(cells[1]), _number(cells[2])
            sections[current].append(
                Result(cells[0], ours, limit, unit, cells[4], cells[4].startswith("≥"), [cells[5]])
            )
    return sections


def load_results() -> dict[str, list[Result]]:
    """The kept results: results.json, or failing that an old results.md."""
    path = results_path("json")
    if not path.exists():
        return _results_from_markdown(results_path("md"))
    data = json.loads(path.read_text())
    return {
        title: [Result.from_json(row) for row in rows] for title, rows in data["sections"].items()
    }


def _keys(rows: Sequence[Result]) -> list[str]:
    """Each row's key, the second and later rows of the same key (one measure on two data set
    sizes, say) told apart by their order."""
    seen: dict[str, int] = {}
    keys = []
    for row in rows:
        seen[row.key] = seen.get(row.key, 0) + 1
        keys.append(row.key if seen[row.key] == 1 else f"{row.key} ({seen[row.key]})")
    return keys


def with_previous(results: list[Result], previous: list[Result]) -> list[Result]:
    """`results`, each told the ratio of the same row in the previous run (when it printed one)."""
    before = {
        key: None if row.too_wide else row.ratio
        for key, row in zip(_keys(previous), previous, strict=True)
    }
    for key, result in zip(_keys(results), results, strict=True):
        result.previous_ratio = before.get(key)
    return results


def write_results(sections: dict[str, list[Result]], extra: list[str]) -> None:
    """Merge `sections` into the kept results (a partial run keeps the others' rows) and write
    results.json (what the next run compares with) and results.md (what a reader reads)."""
    merged = load_results()
    merged.update(sections)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    results_path("json").write_text(
        json.dumps(
            {
                "written": stamp,
                "scale": scale(),
                "sections": {
                    title: [row.to_json() for row in rows] for title, rows in merged.items()
                },
            },
            indent=1,
            ensure_ascii=False,
        )
        + "\n"
    )
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (last run {stamp}), {os.cpu_count()} cores"
        + (
            f", BENCH_SCALE={scale():g} (a smoke test: the figures mean nothing)"
            if scale() != 1
            else ""
        )
        + ". Each line compares the project with the limit measured on the same machine in the "
        "same run, the two sides alternated; each side is the median of its repetitions, with "
        "the interquartile range and its half-width relative to the median (±). A row whose "
        f"spread is wider than ±{MAX_SPREAD * 100:.0f} % prints no ratio. For throughput the "
        "ratio is ours/limit (higher is better); for times and sizes it is ours/limit (lower "
        "is better). `previous` is the ratio of the run before, with the change; every figure "
        "of this run and the previous ratio is in results.json beside this file.",
        "",
    ]
    for title, rows in merged.items():
        lines += [
            f"## {title}",
            "",
            "| measure | ours | limit | ratio | previous | goal | notes |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        lines += [row.line() for row in rows]
        lines.append("")
    lines += extra
    results_path("md").write_text("\n".join(lines) + "\n")


# --- the web server -------------------------------------------------------------------------


def production_workers() -> int:
    """The gunicorn worker count production runs (deploy/gunicorn.conf.py, WEB_CONCURRENCY):
    the web benchmarks serve both sides with it rather than with a number chosen for them."""
    return int(runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))["workers"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_start(port: int, workers: int) -> subprocess.Popen[bytes]:
    """gunicorn serving the bench settings (the app's URLs and the no-op limits) on `port`,
    without access log; returns once it accepts connections."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "dexem.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def gunicorn_stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


def gunicorn_peak_rss_mib(process: subprocess.Popen[bytes]) -> float:
    """The largest peak resident memory among the server's workers."""
    peak = 0.0
    for child in subprocess.run(
        ["pgrep", "-P", str(process.pid)], capture_output=True, text=True
    ).stdout.split():
        try:
            with open(f"/proc/{child}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) / 1024)
        except OSError:
            continue
    return peak


def http_post_load(
    port: int,
    path: str,
    next_request: Callable[[], tuple[bytes, dict[str, str]]],
    duration: float,
    *,
    concurrency: int,
    ok_statuses: tuple[int, ...] = (200,),
    keep_alive: bool = False,
) -> tuple[float, int, int]:
    """POST `next_request()`'s (body, headers) to 127.0.0.1:`port` for `duration` seconds from
    `concurrency` threads; returns (answered requests/s, ok, errors). A request the loaded machine
    did not answer in time is an error of the round, not the end of its thread (the rounds after
    would be lighter). `keep_alive`: one connection per thread, as a provider's webhooks come."""
    counts = {"ok": 0, "errors": 0}
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def worker() -> None:
        ok = errors = 0
        connection = None
        while time.monotonic() < stop_at:
            body, headers = next_request()
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                errors += 1
                connection.close()
                connection = None
                continue
            if not keep_alive:
                connection.close()
                connection = None
            if response.status in ok_statuses:
                ok += 1
            else:
                errors += 1
        if connection is not None:
            connection.close()
        with lock:
            counts["ok"] += ok
            counts["errors"] += errors

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return counts["ok"] / elapsed, counts["ok"], counts["errors"]
