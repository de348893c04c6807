"""Accuracy under load from scored rows: clustered intervals, steps, the unloaded test, gates."""

from __future__ import annotations

import pytest

from crane_bench.evals.metrics import compute_metrics, trials_frame
from crane_bench.evals.results import OutcomeClass
from crane_bench.evals.stats import mcnemar_exact, wilson_interval
from crane_bench.load.gold import CaseDeck
from crane_bench.load.quality import (
    QUALITY_METRICS,
    QualityRow,
    compare_with_unloaded,
    quality_metrics,
    quality_report,
    quality_stats,
)
from crane_bench.load.quality_gates import QualitySlo, evaluate_quality, parse_checks
from tests.load.gold_rows import case, trial


def row(
    case_id: str, right: bool, *, step: int = 0, users: int = 1, **values: object
) -> QualityRow:
    return QualityRow(
        **trial(case_id, right, **values).model_dump(),
        t=float(step),
        step=step,
        users=users,
        run_ms=10.0 * (step + 1),
    )


def test_rates_cluster_repeats_of_a_case() -> None:
    one_each = [trial(f"c{i}", i < 6) for i in range(8)]
    ten_each = [trial(f"c{i}", i < 6) for i in range(8) for _ in range(10)]
    single, repeated = quality_stats(one_each), quality_stats(ten_each)
    assert single.plan_accuracy == repeated.plan_accuracy == 0.75
    assert single.plan_accuracy_ci == wilson_interval(6, 8)
    # Ten identical runs of each case carry the information of one: the same interval.
    assert repeated.plan_accuracy_ci == pytest.approx(single.plan_accuracy_ci)
    assert repeated.n == 80
    assert repeated.cases == 8


def test_the_figures_are_the_evals_metrics_of_the_same_rows() -> None:
    trials = [
        trial("a", True, model_calls=0),  # the rules answered alone
        trial("b", True, model_calls=0, fallback_reason="pattern_confident"),  # old: none
        trial("c", False, model_calls=1, fallback_reason="timeout"),
        trial("c", True, model_calls=2),
        trial("d", False),
    ]
    stats = quality_stats(trials)
    evaluated = compute_metrics(trials_frame(trials))["hybrid"]
    for field, name in QUALITY_METRICS.items():
        figure = evaluated.rate(name)
        assert (getattr(stats, field), getattr(stats, f"{field}_ci")) == (figure.value, figure.ci)
    assert stats.fallback_rate == 0.2  # an old `pattern_confident` is no fallback, as in evals
    assert stats.fallback_reasons == evaluated.fallback_reasons == {"timeout": 1}


def test_fallbacks_model_calls_outcomes_and_latency() -> None:
    trials = [
        trial("a", True, model_calls=1),
        trial("b", True, model_calls=1, fallback_reason="timeout"),
        trial("c", False, model_calls=0, outcome=OutcomeClass.WRONG_ARGS),
        trial(
            "d",
            False,
            model_calls=2,
            fallback_reason="invalid_json",
            outcome=OutcomeClass.FALSE_ABSTAIN,
        ),
    ]
    stats = quality_stats(trials, [10.0, 20.0, 30.0, 40.0])
    assert stats.model_call_rate == 0.75
    assert stats.fallback_rate == 0.5
    assert stats.fallback_reasons == {"invalid_json": 1, "timeout": 1}
    timeouts = quality_metrics(trials)["hybrid"].rate("timeout_fallback_rate")
    assert timeouts.value == 0.25  # the registry's rate, as quality checks read it
    assert stats.outcomes == {"correct": 2, "wrong_args": 1, "false_abstain": 1}
    assert stats.run_p50_ms == 25.0
    assert stats.run_p95_ms == pytest.approx(38.5)


def test_paired_mcnemar_on_the_cases_both_sides_ran() -> None:
    # Unloaded c0-c14 are right; under load c0-c2 and c19: 12 right only unloaded, 1 only loaded.
    unloaded = [trial(f"c{i}", i < 15) for i in range(20)]
    loaded = [trial(f"c{i}", i < 3 or i == 19) for i in range(20) for _ in range(3)]
    found = compare_with_unloaded(loaded, unloaded, "plan_accuracy")
    assert found is not None
    assert found.test == "mcnemar"
    assert (found.n_pairs, found.only_loaded, found.only_unloaded) == (20, 1, 12)
    assert found.p_value == pytest.approx(mcnemar_exact(1, 12))
    assert found.direction == "lower"
    assert found.loaded == pytest.approx(4 / 20)
    assert found.unloaded == pytest.approx(15 / 20)
    assert "significantly lower under load" in found.verdict
    assert "paired exact McNemar on 20 cases: 1 right only under load, 12 only unloaded" in (
        found.verdict
    )


def test_a_case_counts_as_right_under_load_by_its_majority() -> None:
    unloaded = [trial("a", True), trial("b", True)]
    loaded = [
        trial("a", True),
        trial("a", True),
        trial("a", False),
        trial("b", False),
        trial("b", True),
    ]
    found = compare_with_unloaded(loaded, unloaded, "plan_accuracy")
    assert found is not None
    assert (found.only_loaded, found.only_unloaded) == (0, 1)  # b: a tie is not a majority
    assert found.direction == "no_difference"
    # A "no significant difference" says what it could have detected.
    assert "with 1 disagreement in 2 cases, this suite is too small" in found.verdict


def test_without_common_cases_a_two_proportion_test() -> None:
    unloaded = [trial(f"u{i}", i < 45) for i in range(50)]
    loaded = [trial(f"l{i}", i < 20) for i in range(50)]
    found = compare_with_unloaded(loaded, unloaded, "end_to_end_accuracy")
    assert found is not None
    assert found.test == "two_proportion"
    assert found.direction == "lower"
    assert found.p_value < 0.001
    assert "no case in common" in found.verdict
    same = compare_with_unloaded([trial("x", True)], [trial("y", True)], "plan_accuracy")
    assert same is not None
    assert (same.p_value, same.direction) == (1.0, "no_difference")
    assert "these cases detect no drop 80% of the time" in same.verdict
    assert compare_with_unloaded([], unloaded, "plan_accuracy") is None


def test_the_report_per_planner_and_step() -> None:
    rows = [row("a", True, step=0, users=1), row("b", True, step=0, users=1)]
    rows += [row("a", False, step=1, users=4), row("b", True, step=1, users=4)]
    rows += [row("a", True, planner="other")]
    report = quality_report(rows, [trial("a", True), trial("b", True)], unloaded_source="pass")
    assert set(report.planners) == {"hybrid", "other"}
    hybrid = report.planners["hybrid"]
    assert [(s.step, s.users, s.n, s.plan_accuracy) for s in hybrid.by_step] == [
        (0, 1, 2, 1.0),
        (1, 4, 2, 0.5),
    ]
    assert hybrid.by_step[1].run_p50_ms == 20.0
    assert hybrid.unloaded is not None
    assert hybrid.unloaded.n == 2
    assert [c.metric for c in hybrid.comparisons] == ["plan_accuracy", "end_to_end_accuracy"]
    assert report.planners["other"].unloaded is None  # no reference rows of that label
    assert report.planners["other"].comparisons == []


def test_quality_gates_name_the_planner_and_the_check() -> None:
    unloaded = [trial(f"c{i}", True) for i in range(12)]
    loaded = [row(f"c{i}", i < 2, fallback_reason="timeout" if i >= 2 else None) for i in range(12)]
    report = quality_report(loaded, unloaded, unloaded_source="pass")
    slo = QualitySlo(
        checks=[
            {"planner": "*", "metric": "timeout_fallback_rate", "op": "<=", "threshold": 0.05},
            {"planner": "*", "metric": "model_call_rate", "op": ">=", "threshold": 0.0},
            {"planner": "hybrid", "metric": "plan_accuracy", "op": ">=", "threshold": 0.9},
            {"planner": "absent", "metric": "plan_accuracy", "op": ">=", "threshold": 0.9},
        ]
    )
    checks = {c.name: c for c in evaluate_quality(report, slo, quality_metrics(loaded))}
    assert checks["plan_accuracy_vs_unloaded[hybrid]"].failed
    assert checks["plan_accuracy_vs_unloaded[hybrid]"].message.startswith(
        "FAIL plan_accuracy_vs_unloaded[hybrid]: plan accuracy 0.167 under load vs 1.000"
    )
    assert checks["hybrid timeout_fallback_rate <= 0.05"].message == (
        "FAIL hybrid timeout_fallback_rate 0.833 > 0.050"
    )
    assert checks["hybrid plan_accuracy >= 0.9"].failed
    assert checks["hybrid model_call_rate >= 0"].passed
    assert checks["absent plan_accuracy >= 0.9"].skipped
    no_reference = quality_report(loaded, [], unloaded_source="none")
    skipped = {c.name: c for c in evaluate_quality(no_reference, QualitySlo())}
    assert skipped["plan_accuracy_vs_unloaded[hybrid]"].skipped
    assert evaluate_quality(None, slo) == []


def test_an_unknown_metric_in_the_quality_checks_is_refused_by_the_gate_parser() -> None:
    with pytest.raises(ValueError, match=r"unknown metric 'fallback_rate\.slow'"):
        parse_checks(
            [{"planner": "*", "metric": "fallback_rate.slow", "op": "<=", "threshold": 0.1}]
        )


def test_a_deck_deals_every_case_before_any_again_and_repeats_for_a_seed() -> None:
    cases = [case(f"c{i}") for i in range(5)]
    deck = CaseDeck(cases, "seed")
    first, second = [deck.draw().id for _ in range(5)], [deck.draw().id for _ in range(5)]
    assert sorted(first) == sorted(second) == [f"c{i}" for i in range(5)]
    again = CaseDeck(cases, "seed")
    assert [again.draw().id for _ in range(5)] == first
    other = CaseDeck(cases, "other")
    assert [other.draw().id for _ in range(10)] != first + second
