"""The robustness sets' figures on hand-made trial frames, and choosing the set files.

Real pattern-planner runs of small sets, through `crane-bench robustness`, are in
`tests/crane_bench/cli/test_robustness.py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from crane_bench.evals.errors import RobustnessSetError
from crane_bench.evals.robustness_set_figures import (
    ANY_STEP_COLUMN,
    FALSE_ACTION_COLUMN,
    ood_figures,
    pair_map,
    paraphrase_figures,
)
from crane_bench.evals.robustness_sets import choose_sets, discover_sets
from crane_bench.evals.stats import clustered_interval, wilson_interval


def _row(
    case_id: str, *, right: bool, tags: tuple[str, ...] = (), **extra: object
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "case_id": case_id,
        "planner": "p",
        "repeat": 0,
        "plan_correct": right,
        "tags": tags,
        "tools": (),
        "prompt": case_id,
        "outcome": "correct" if right else "wrong_args",
        "expected_abstain": False,
        "perturbation": None,
        FALSE_ACTION_COLUMN: float("nan"),
    }
    row.update(extra)
    return row


def _pair(n: int, orig: bool, para: bool) -> list[dict[str, Any]]:
    return [
        _row(f"x-{n}-orig", right=orig, tags=("original", f"pair-{n}")),
        _row(f"x-{n}-para", right=para, tags=("paraphrase", f"pair-{n}")),
    ]


def _paraphrase(frame: pd.DataFrame) -> Any:
    found = paraphrase_figures(frame, pair_map(frame, "paraphrase_test"))
    assert found is not None
    return found


def test_a_pair_right_then_wrong_is_a_flip_and_the_reverse_a_gain() -> None:
    frame = pd.DataFrame(
        _pair(1, True, True)
        + _pair(2, True, False)
        + _pair(3, False, True)
        + _pair(4, False, False)
    )
    found = _paraphrase(frame)
    assert (found.pairs, found.flips, found.gains) == (4, 1, 1)
    assert (found.original_correct, found.paraphrase_correct) == (2, 2)
    assert found.drop_points == 0.0
    assert found.p_value == 1.0
    assert [ref.pair for ref in found.flipped] == ["pair-2"]
    assert [(ref.original, ref.paraphrase) for ref in found.gained] == [("x-3-orig", "x-3-para")]
    assert found.original_ci == wilson_interval(2, 4)


def test_six_flips_and_no_gain_is_a_significant_drop() -> None:
    frame = pd.DataFrame(
        [row for n in range(6) for row in _pair(n, True, False)]
        + [row for n in range(6, 10) for row in _pair(n, True, True)]
    )
    found = _paraphrase(frame)
    assert (found.pairs, found.flips, found.gains) == (10, 6, 0)
    assert found.drop_points == pytest.approx(60.0)
    assert found.p_value == pytest.approx(2 * 0.5**6)  # exact two-sided binomial
    assert found.verdict.startswith("paraphrase hurts: 6 flips, 0 gains in 10 pairs")
    assert found.paraphrase_ci == wilson_interval(4, 10)


def test_repeats_give_one_majority_verdict_per_case() -> None:
    rows = _pair(1, True, True)
    rows += [dict(rows[1], repeat=1, plan_correct=False), dict(rows[1], repeat=2)]
    rows += [
        dict(rows[0], repeat=1, plan_correct=False),
        dict(rows[0], repeat=2, plan_correct=False),
    ]
    found = _paraphrase(pd.DataFrame(rows))
    # The original is right in 1 of 3 trials (wrong), the paraphrase in 2 of 3 (right).
    assert (found.pairs, found.original_correct, found.paraphrase_correct) == (1, 0, 1)
    assert found.gains == 1


def test_a_half_without_its_other_half_is_counted_apart() -> None:
    rows = [*_pair(1, True, False), _row("x-2-orig", right=True, tags=("original", "pair-2"))]
    found = _paraphrase(pd.DataFrame(rows))
    assert (found.pairs, found.unpaired, found.flips) == (1, 1, 1)


def test_a_case_without_its_pair_tags_is_an_error() -> None:
    frame = pd.DataFrame([_row("x-1-orig", right=True, tags=("original",))])
    with pytest.raises(RobustnessSetError, match="x-1-orig needs one pair-N tag"):
        pair_map(frame, "paraphrase_test")


def test_any_planned_step_is_a_false_action_even_an_invalid_one() -> None:
    def ood(case_id: str, tools: tuple[str, ...], outcome: str, metric: float) -> dict[str, Any]:
        row = _row(case_id, right=not tools, tools=tools, outcome=outcome, expected_abstain=True)
        row[FALSE_ACTION_COLUMN] = metric  # the registry's value: 1 for a valid plan with a step
        row[ANY_STEP_COLUMN] = float(bool(tools))  # and 1 for any plan with a step
        return row

    frame = pd.DataFrame(
        [
            ood("o-1", (), "correct", 0.0),
            ood("o-2", ("calculator",), "false_action", 1.0),
            ood("o-3", ("todo_store", "calculator"), "invalid_plan", 0.0),
            ood("o-4", (), "planner_error", 0.0),
        ]
    )
    found = ood_figures(frame, "ood_test")
    assert (found.trials, found.false_actions, found.metric_false_actions) == (4, 2, 1)
    assert found.no_plan == 1
    assert (
        found.false_action_ci == wilson_interval(2, 4) == clustered_interval([0, 1, 1, 0], [1] * 4)
    )
    assert [(a.case_id, a.tools) for a in found.actions] == [
        ("o-2", ["calculator"]),
        ("o-3", ["todo_store", "calculator"]),
    ]


def test_an_ood_case_that_expects_a_step_is_an_error() -> None:
    frame = pd.DataFrame([_row("o-1", right=True)])
    with pytest.raises(RobustnessSetError, match="o-1 expects a step"):
        ood_figures(frame, "ood_test")


def test_sets_are_found_by_glob_and_chosen_by_suffix_or_stem(tmp_path: Path) -> None:
    for stem in ("paraphrase_dev", "paraphrase_holdout_2", "ood_dev", "ood_holdout_2", "llm_dev"):
        (tmp_path / f"{stem}.yaml").write_text("[]\n")
    found = list(discover_sets(tmp_path))
    assert found == ["ood_dev", "ood_holdout_2", "paraphrase_dev", "paraphrase_holdout_2"]
    assert choose_sets(found, "dev") == ["ood_dev", "paraphrase_dev"]
    assert choose_sets(found, "holdout_2,paraphrase_dev") == [
        "ood_holdout_2",
        "paraphrase_dev",
        "paraphrase_holdout_2",
    ]
    assert choose_sets(found, "all") == found
    with pytest.raises(RobustnessSetError, match="'holdout' names no set"):
        choose_sets(found, "holdout")
