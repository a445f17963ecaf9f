"""Shared pieces of the benchmarks: the bench database, timing, memory, the results file."""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results.md"
# Overridable so that parallel runs (other branches, other schemas) do not share one database.
BENCH_DB = os.environ.get("BENCH_DB", "dexem_bench")


@dataclass
class Result:
    name: str
    ours: float
    limit: float
    unit: str
    goal: str
    higher_is_better: bool
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        if self.higher_is_better:
            return self.ours / self.limit if self.limit else 0.0
        return self.ours / self.limit if self.limit else float("inf")

    def line(self) -> str:
        return (
            f"| {self.name} | {self.ours:,.3f} {self.unit} | {self.limit:,.3f} {self.unit} "
            f"| **{self.ratio:.2f}** | {self.goal} | {'; '.join(self.notes)} |"
        )


def bench_database_url() -> str:
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"
    )
    parsed = urlparse(base)
    if not parsed.scheme.startswith("postgres"):
        sys.exit("The benchmarks need PostgreSQL: set DATABASE_URL or BENCH_DATABASE_URL.")
    return urlunparse(parsed._replace(path=f"/{BENCH_DB}"))


def ensure_database(url: str) -> None:
    import psycopg2

    parsed = urlparse(url)
    admin = psycopg2.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{BENCH_DB}"')
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


def best_of(repeats: int, action: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def _existing_sections() -> dict[str, list[str]]:
    """The sections of the current results file, so a partial run keeps the others."""
    if not RESULTS.exists():
        return {}
    sections: dict[str, list[str]] = {}
    current = None
    for line in RESULTS.read_text().splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            sections[current] = []
        elif (
            current is not None
            and line.startswith("| ")
            and not line.startswith(("| measure", "| ---"))
        ):
            sections[current].append(line)
    return sections


def write_results(sections: dict[str, list[Result]], extra: list[str]) -> None:
    merged = _existing_sections()
    for title, results in sections.items():
        merged[title] = [result.line() for result in results]
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (last run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}), "
        f"{os.cpu_count()} cores. Each line compares the project with the limit measured on the "
        "same machine in the same run. For throughput the ratio is ours/limit (higher is "
        "better); for times and sizes it is ours/limit (lower is better).",
        "",
    ]
    for title, rows in merged.items():
        lines += [
            f"## {title}",
            "",
            "| measure | ours | limit | ratio | goal | notes |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        lines += rows
        lines.append("")
    lines += extra
    RESULTS.write_text("\n".join(lines) + "\n")
