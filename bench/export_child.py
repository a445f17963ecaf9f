"""One export in its own process (bench_exports measures its peak RSS)."""

from __future__ import annotations

import sys

from bench.bench_exports import child_main

if __name__ == "__main__":
    child_main(sys.argv[1], int(sys.argv[2]))
