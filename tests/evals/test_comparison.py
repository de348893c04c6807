"""Paired comparisons of planners on the same cases."""

from __future__ import annotations

import pytest
from scipy.stats import binomtest

from crane_bench.evals.comparison import case_verdicts, compare_all, compare_planners
from crane_bench.evals.metrics import trials_frame
from tests.evals.trial_rows import scored

# 18 cases: 5 both right, 9 only A right, 1 only B right, 3 both wrong.
A_RIGHT = [True] * 5 + [True] * 9 + [False] + [False] * 3
B_RIGHT = [True] * 5 + [False] * 9 + [True] + [False] * 3


def test_table_p_value_and_verdict() -> None:
    frame = trials_frame([*scored("rules", A_RIGHT), *scored("model", B_RIGHT)])
    result = compare_planners(frame, "rules", "model")
    assert (result.n_pairs, result.both_right, result.a_only) == (18, 5, 9)
    assert (result.b_only, result.both_wrong) == (1, 3)
    assert result.p_value == pytest.approx(binomtest(9, 10, 0.5).pvalue)
    assert result.p_value == pytest.approx(0.02148, abs=1e-5)
    assert result.verdict == "rules better"
    assert result.winner == "rules"
    assert compare_planners(frame, "model", "rules").verdict == "rules better"


def test_no_significant_difference() -> None:
    frame = trials_frame([*scored("a", [True, False] * 5), *scored("b", [False, True] * 5)])
    result = compare_planners(frame, "a", "b")
    assert (result.a_only, result.b_only, result.p_value) == (5, 5, 1.0)
    assert result.verdict == "no significant difference"
    assert result.winner is None


def test_a_stricter_alpha_withholds_the_verdict() -> None:
    frame = trials_frame([*scored("a", A_RIGHT), *scored("b", B_RIGHT)])
    assert compare_planners(frame, "a", "b", alpha=0.01).verdict == "no significant difference"


def test_only_common_cases_are_paired() -> None:
    frame = trials_frame([*scored("a", [True] * 6), *scored("b", [False] * 4)])
    result = compare_planners(frame, "a", "b")
    assert result.n_pairs == 4
    assert result.a_only == 4


def test_repeats_reduce_to_a_majority_per_case() -> None:
    # c0 right 2 of 3 -> right; c1 right 1 of 3 -> wrong.
    rows = [
        *scored("a", [True, True], repeat=0),
        *scored("a", [True, False], repeat=1),
        *scored("a", [False, False], repeat=2),
    ]
    verdicts = case_verdicts(trials_frame(rows))
    assert verdicts.to_dict() == {"c0": True, "c1": False}
    tie = trials_frame([*scored("a", [True], repeat=0), *scored("a", [False], repeat=1)])
    assert case_verdicts(tie).to_dict() == {"c0": False}


def test_compare_all_covers_every_pair_and_metric() -> None:
    frame = trials_frame(
        [*scored("pattern", A_RIGHT), *scored("llm", B_RIGHT), *scored("hybrid", A_RIGHT)]
    )
    results = compare_all(frame)
    pairs = [(r.planner_a, r.planner_b, r.metric) for r in results]
    assert pairs == [
        ("hybrid", "llm", "plan_correct"),
        ("hybrid", "llm", "end_to_end_correct"),
        ("hybrid", "pattern", "plan_correct"),
        ("hybrid", "pattern", "end_to_end_correct"),
        ("llm", "pattern", "plan_correct"),
        ("llm", "pattern", "end_to_end_correct"),
    ]
    verdicts = [r.verdict for r in results if r.metric == "plan_correct"]
    assert verdicts == ["hybrid better", "no significant difference", "pattern better"]
