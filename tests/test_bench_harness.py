"""The benchmarks' statistics and results file: medians with their spread, alternation, the
verdict on a noisy row, and the previous run's ratio kept for the next one."""

from __future__ import annotations

import json

import pytest

from bench import harness
from bench.harness import (
    Result,
    Samples,
    alternate,
    paired_note,
    paired_ratios,
    rounds,
    with_previous,
)


def test_samples_give_the_median_and_the_interquartile_range():
    samples = Samples((5.0, 1.0, 3.0, 2.0, 4.0))
    assert samples.median == 3.0
    assert samples.quartiles == (2.0, 4.0)
    assert samples.spread == pytest.approx(1 / 3)  # (4 - 2) / 2 / 3


def test_a_single_sample_has_no_spread():
    assert Samples((7.0,)).spread == 0.0


def test_samples_converted_to_another_unit_keep_their_order_statistics():
    seconds = Samples((0.5, 1.0, 2.0))
    rate = seconds.map(lambda value: 100 / value)
    assert rate.median == 100.0
    assert rate.quartiles == (75.0, 150.0)


def test_a_tight_row_prints_its_ratio_of_medians():
    result = Result.measured(
        "tight",
        Samples((100.0, 101.0, 99.0, 100.0)),
        Samples((200.0, 202.0, 198.0, 200.0)),
        "MB/s",
        "≥ 0.7",
        True,
    )
    assert result.ratio == 0.5
    assert not result.too_wide
    assert "| **0.50** |" in result.line()
    assert "IQR" in result.line()


def test_a_row_wider_than_ten_percent_says_so_instead_of_a_ratio():
    result = Result.measured(
        "noisy",
        Samples((100.0, 60.0, 140.0, 80.0, 120.0)),
        Samples((200.0, 200.0, 200.0)),
        "MB/s",
        "≥ 0.7",
        True,
    )
    assert result.too_wide
    assert result.ratio_text() == "spread too wide (±20 %)"
    assert "**" not in result.line()
    assert result.to_json()["ratio"] is None


def test_a_row_built_the_old_way_still_works_and_is_not_checked_for_spread():
    result = Result("count", 1, 2, "segments", "≤ 2", False, ["note"])
    assert result.spread == 0.0
    assert "| **0.50** |" in result.line()


def test_alternate_takes_ours_and_the_limit_in_turn_after_the_warm_up():
    order: list[str] = []
    ours, limit = alternate(
        lambda: order.append("A"), lambda: order.append("B"), repeats=4, warmup=1
    )
    assert order == ["A", "B", "A", "B", "B", "A", "A", "B", "B", "A"]
    assert len(ours.values) == len(limit.values) == 4


def test_rounds_rotate_who_goes_first_and_keep_what_each_side_answers():
    order: list[str] = []

    def side(name: str, value: float):
        return lambda: order.append(name) or value

    measured = rounds({"a": side("a", 1.0), "b": side("b", 2.0), "c": side("c", 3.0)}, 3, 0)
    assert order == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert measured["b"].values == (2.0, 2.0, 2.0)


@pytest.fixture
def results_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(harness, "results_path", lambda suffix: tmp_path / f"results.{suffix}")
    return tmp_path


def _row(ours: float) -> Result:
    return Result.measured(
        f"dashboard ({int(ours)} calls in range)",
        Samples((ours, ours, ours)),
        Samples((100.0, 100.0, 100.0)),
        "ms",
        "≤ 1.5",
        False,
    )


def test_the_next_run_prints_the_change_since_the_previous_one(results_dir):
    harness.write_results({"Dashboard": [_row(90.0)]}, [])
    previous = harness.load_results()
    again = with_previous([_row(99.0)], previous["Dashboard"])
    assert again[0].previous_ratio == pytest.approx(0.9)
    assert again[0].change_text() == "was 0.90 (+10 %, worse)"
    harness.write_results({"Dashboard": again}, [])
    text = (results_dir / "results.md").read_text()
    assert "| ratio | previous |" in text
    assert "| **0.99** | was 0.90 (+10 %, worse) |" in text
    kept = json.loads((results_dir / "results.json").read_text())
    assert kept["sections"]["Dashboard"][0]["previous_ratio"] == pytest.approx(0.9)


def test_a_partial_run_keeps_the_other_sections(results_dir):
    harness.write_results({"Dashboard": [_row(90.0)], "Other": [_row(50.0)]}, [])
    harness.write_results({"Dashboard": [_row(80.0)]}, [])
    assert set(harness.load_results()) == {"Dashboard", "Other"}


def test_a_results_file_from_before_the_json_serves_as_the_previous_run(results_dir):
    (results_dir / "results.md").write_text(
        "# Benchmark results\n\n## Dashboard\n\n"
        "| measure | ours | limit | ratio | goal | notes |\n| --- | --- | --- | --- | --- | --- |\n"
        "| dashboard (49,991 calls in range) | 232.782 ms | 255.595 ms | **0.91** | ≤ 1.5 | best of 7 |\n"
    )
    previous = harness.load_results()
    again = with_previous([_row(95.0)], previous["Dashboard"])
    assert again[0].previous_ratio == pytest.approx(0.91, abs=0.001)


def test_a_bench_database_url_names_its_own_database(monkeypatch):
    monkeypatch.setenv("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/h_bench")
    assert harness.bench_database_url().endswith("/h_bench")
    monkeypatch.setenv("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432")
    assert harness.bench_database_url().endswith("/dexem_bench")
    monkeypatch.delenv("BENCH_DATABASE_URL")
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/other")
    assert harness.bench_database_url().endswith("/dexem_bench")


def test_bench_scale_shrinks_the_data_sets_but_not_below_their_floor(monkeypatch):
    monkeypatch.setenv("BENCH_SCALE", "0.01")
    assert harness.scaled(1_000_000, 10_000) == 10_000
    assert harness.scaled(10_000_000, 10_000) == 100_000
    monkeypatch.delenv("BENCH_SCALE")
    assert harness.scaled(1_000_000) == 1_000_000


def test_rows_of_the_same_measure_on_two_sizes_each_find_their_own_previous_ratio(results_dir):
    first = [_row(90.0), _row(50.0)]
    again = with_previous([_row(91.0), _row(49.0)], first)
    assert [row.previous_ratio for row in again] == [pytest.approx(0.9), pytest.approx(0.5)]
    assert again[1].change_text() == "was 0.50 (-2 %, better)"


def test_a_row_just_past_the_limit_does_not_read_as_on_it():
    result = Result.measured(
        "edge", Samples((89.5, 100.0, 110.5)), Samples((1.0, 1.0)), "ms", "≤ 1.5", False
    )
    assert result.spread == pytest.approx(0.0525)
    wider = Result.measured(
        "edge", Samples((89.7, 100.0, 110.3, 80.0, 120.0)), Samples((1.0,)), "ms", "≤ 1.5", False
    )
    assert wider.spread == pytest.approx(0.103)
    assert wider.ratio_text() == "spread too wide (±11 %)"


def test_paired_ratios_divide_each_rounds_measures_so_a_drift_hitting_both_cancels():
    ours = Samples((1.0, 2.0, 4.0, 8.0))
    limit = Samples((2.0, 4.0, 8.0, 16.0))
    assert ours.spread > 0.5
    assert paired_ratios(ours, limit).values == (0.5, 0.5, 0.5, 0.5)
    assert paired_note(ours, limit) == "per-round ratio 0.50 (IQR 0.50 to 0.50, ±0 %)"


def test_a_batched_round_alternates_the_sides_call_by_call_and_answers_their_means():
    order: list[str] = []
    answers = {"a": iter([1.0, 3.0, 5.0, 7.0, 9.0, 11.0]), "b": iter([2.0] * 6)}

    def side(name: str):
        return lambda: order.append(name) or next(answers[name])

    measured = rounds({"a": side("a"), "b": side("b")}, repeats=2, warmup=1, batch=2)
    # The warm-up is a whole measure of each side; then each round's order rotates.
    assert order == ["a", "b", "a", "b", "a", "b", "a", "b", "b", "a", "b", "a"]
    assert measured["a"].values == (6.0, 10.0)  # (5 + 7) / 2, (9 + 11) / 2
    assert measured["b"].values == (2.0, 2.0)


def test_a_paired_row_reads_the_rounds_own_ratios_so_a_drifting_machine_is_no_verdict():
    drifting = Result.measured(
        "paired",
        Samples((10.0, 13.0, 16.0, 20.0)),
        Samples((5.0, 6.5, 8.0, 10.0)),
        "ms",
        "≤ 1.5",
        False,
        paired=True,
    )
    assert drifting.ours_samples is not None and drifting.ours_samples.spread > 0.10
    assert (drifting.ratio, drifting.spread, drifting.too_wide) == (2.0, 0.0, False)
    assert "| **2.00** (per round; IQR 2.00 to 2.00) |" in drifting.line()
    assert drifting.summary().startswith("paired: 2.00 ±0 % per round")
    # The same samples unpaired: the sides' spreads decide, and the row prints no ratio.
    unpaired = Result.measured(
        "unpaired", drifting.ours_samples, drifting.limit_samples, "ms", "≤ 1.5", False
    )
    assert unpaired.too_wide
    # Rounds whose own ratios disagree make the row too wide.
    disagreeing = Result.measured(
        "disagreeing",
        Samples((10.0, 10.0, 10.0, 10.0)),
        Samples((4.0, 6.0, 4.0, 6.0)),
        "ms",
        "≤ 1.5",
        False,
        paired=True,
    )
    assert disagreeing.too_wide
    assert Result.from_json(json.loads(json.dumps(drifting.to_json()))).paired


def test_a_paired_row_with_a_round_where_the_limit_answered_nothing_reads_as_unpaired():
    ours = Samples((900.0, 950.0, 1000.0, 980.0, 970.0))
    limit = Samples((1800.0, 0.0, 1900.0, 1950.0, 1850.0))
    paired = Result.measured("webhooks", ours, limit, "req/s", "≥ 0.5", True, paired=True)
    unpaired = Result.measured("webhooks", ours, limit, "req/s", "≥ 0.5", True)
    assert (paired.ratio, paired.spread) == (unpaired.ratio, unpaired.spread)
    assert paired.line() and paired.summary() and paired.to_json()
