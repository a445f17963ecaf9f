"""`make bench`: run every benchmark against the limit on this machine; write bench/results.md."""

from __future__ import annotations

import importlib
import sys
import time

from bench.harness import RESULTS, setup_django, write_results

BENCHMARKS = {
    "dashboard": "Dashboard queries vs hand-written SQL",
    "ingestion": "Call ingestion throughput vs a no-op endpoint",
    "media": "Encrypted recordings: throughput, memory, Range cost",
    "exports": "Exports: CSV vs COPY, memory, Excel vs the raw writer",
    "retention": "Retention: the calls purge vs one DELETE",
    "erasure": "Erasure of one number across 1,000 Clients",
    "attribution": "Attribution: the dni.js visits endpoint and matching a call",
}


def main(argv: list[str]) -> int:
    chosen = argv or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        print(f"Unknown benchmark(s): {', '.join(unknown)}; choose among {', '.join(BENCHMARKS)}.")
        return 2
    setup_django()
    sections = {}
    for name in chosen:
        print(f"== {name}: {BENCHMARKS[name]}", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"bench.bench_{name}")
        results = module.run()
        for result in results:
            print("  " + result.line(), flush=True)
        print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
        sections[BENCHMARKS[name]] = results
    write_results(sections, [])
    print(f"Results written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
