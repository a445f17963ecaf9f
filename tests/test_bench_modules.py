"""The benchmarks run only under `make bench`; their modules must at least import cleanly."""

from __future__ import annotations

import importlib

import pytest

from bench.__main__ import BENCHMARKS


@pytest.mark.parametrize("name", sorted(BENCHMARKS))
def test_every_benchmark_module_imports_and_has_a_run_function(name):
    module = importlib.import_module(f"bench.bench_{name}")
    assert callable(module.run)
