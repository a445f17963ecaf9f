"""`make bench`: run every benchmark against the limit on this machine; write bench/results.md
and bench/results.json, and print each row's change since the previous run.

`python -m bench NAME …` runs some of them; BENCH_SCALE=0.01 runs them on small data sets as a
smoke test (written to results-scale-0.01.*, never over the real figures)."""

from __future__ import annotations

import importlib
import sys
import time

from bench.harness import (
    load_results,
    results_path,
    scale,
    setup_django,
    with_previous,
    write_results,
)

BENCHMARKS = {
    "dashboard": "Dashboard queries vs hand-written SQL",
    "ingestion": "Call ingestion throughput vs a no-op endpoint",
    "media": "Encrypted recordings: throughput, memory, Range cost",
    "exports": "Exports: CSV vs COPY, memory, Excel vs the raw writer",
    "retention": "Retention: the calls purge vs one DELETE",
    "erasure": "Erasure of one number across 1,000 Clients",
    "attribution": "Attribution: the dni.js visits endpoint and matching a call",
    "telephony": "Telephony: status webhooks vs a signed no-op, the recording task vs a plain download",
    "s3": "Recordings in S3-compatible storage: ranged playback, upload memory",
    "call_list": "The web call list by keyset vs the API's cursor page",
    "reports": "Reports: the dashboard from daily aggregates, ingestion with their upkeep",
}


def main(argv: list[str]) -> int:
    chosen = argv or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        print(f"Unknown benchmark(s): {', '.join(unknown)}; choose among {', '.join(BENCHMARKS)}.")
        return 2
    if scale() != 1:
        print(f"BENCH_SCALE={scale():g}: small data sets, a smoke test; the figures mean nothing.")
    setup_django()
    previous = load_results()
    for name in chosen:
        title = BENCHMARKS[name]
        print(f"== {name}: {title}", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"bench.bench_{name}")
        results = with_previous(module.run(), previous.get(title, []))
        for result in results:
            print("  " + result.summary(), flush=True)
        print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
        # Written after each benchmark: an interrupted run keeps what it measured.
        write_results({title: results}, [])
    print(f"Results written to {results_path('md')} and {results_path('json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
