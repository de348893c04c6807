"""Robustness figures: variants paired with their originals, and the gates that read them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from crane_bench.evals.gate_config import load_gates
from crane_bench.evals.gates import evaluate_gates
from crane_bench.evals.metrics import compute_metrics, trials_frame
from crane_bench.evals.results import OutcomeClass, TrialResult
from crane_bench.evals.robustness import originals
from crane_bench.evals.run_config import EvalConfig, config_for_resume
from crane_bench.evals.runner import run_eval
from crane_bench.runtime.errors import UserError
from tests.evals.eval_helpers import (
    CASES,
    offline_settings,
    pattern_opener,
    read_rows,
    run_new,
    write_cases,
)
from tests.evals.trial_rows import scored, trial


def variant_rows(name: str, right: list[bool], *, planner: str = "pattern") -> list[TrialResult]:
    """Variants `c<i>.<name>` of cases `c<i>`, right where `right` says so."""
    return [
        row.model_copy(
            update={"case_id": f"{row.case_id}.{name}", "source_case": row.case_id,
                    "perturbation": name}
        )
        for row in scored(planner, right)
    ]  # fmt: skip


def test_flips_gains_and_the_paired_verdict() -> None:
    base = [True] * 8 + [False] * 2
    after = [False] * 7 + [True] * 1 + [True, False]
    frame = trials_frame([*scored("pattern", base), *variant_rows("typos", after)])
    figures = compute_metrics(frame)["pattern"].robustness["typos"]
    assert (figures.pairs, figures.flips, figures.gains) == (10, 7, 1)
    assert figures.original_accuracy == pytest.approx(0.8)
    assert figures.accuracy == pytest.approx(0.2)
    assert figures.accuracy_drop == pytest.approx(0.6)
    assert figures.flip_rate == pytest.approx(7 / 8)
    assert figures.flip_rate_ci is not None
    assert figures.flip_rate_ci[0] < 7 / 8 < figures.flip_rate_ci[1]
    assert figures.test.p_value == pytest.approx(0.0703125)
    assert figures.verdict.startswith("no significant effect of typos: 7 flips, 1 gains")


def test_a_significant_drop_says_the_perturbation_hurts() -> None:
    frame = trials_frame(
        [*scored("p", [True] * 12), *variant_rows("polite", [False] * 12, planner="p")]
    )
    figures = compute_metrics(frame)["p"].robustness["polite"]
    assert figures.verdict.startswith("polite hurts: 12 flips, 0 gains in 12 pairs")
    assert figures.test.winner == "original"


def test_gold_metrics_count_the_originals_only() -> None:
    rows = [*scored("pattern", [True, True]), *variant_rows("casing", [False, False])]
    metrics = compute_metrics(trials_frame(rows))["pattern"]
    assert (metrics.n, metrics.value("plan_accuracy")) == (2, 1.0)
    assert len(originals(trials_frame(rows))) == 2
    assert compute_metrics(trials_frame(scored("pattern", [True])))["pattern"].robustness == {}


def test_rows_written_before_the_new_fields_still_read() -> None:
    old = trial("c0").model_dump(mode="json", exclude={"source_case", "perturbation"})
    row = TrialResult.model_validate(old)
    assert (row.source_case, row.perturbation) == (None, None)


def test_false_action_rate_counts_steps_where_no_tool_was_wanted() -> None:
    rows = [
        trial("o1", OutcomeClass.CORRECT, category="out_of_domain", expected_abstain=True,
              abstained=True),
        trial("o2", OutcomeClass.FALSE_ACTION, category="out_of_domain", expected_abstain=True),
        trial("o3", OutcomeClass.PLANNER_ERROR, category="out_of_domain", expected_abstain=True),
        trial("c1", OutcomeClass.WRONG_TOOL),
    ]  # fmt: skip
    metrics = compute_metrics(trials_frame(rows))["pattern"]
    assert metrics.value("false_action_rate") == pytest.approx(1 / 3)
    ood = metrics.by_category["out_of_domain"]
    assert ood.value("false_action_rate") == pytest.approx(1 / 3)
    assert metrics.by_category["calculator"].value("false_action_rate") is None


def gates_file(tmp_path: Path, *checks: dict[str, object]) -> Path:
    path = tmp_path / "gates.yaml"
    path.write_text(yaml.safe_dump({"checks": list(checks)}))
    return path


def test_gates_read_robustness_figures_and_skip_a_missing_perturbation(tmp_path: Path) -> None:
    rows = [*scored("pattern", [True] * 10), *variant_rows("typos", [True] * 8 + [False] * 2)]
    metrics = compute_metrics(trials_frame(rows))
    gates = load_gates(
        gates_file(
            tmp_path,
            {"planner": "*", "metric": "robustness.typos.flip_rate", "op": "<=", "threshold": 0.1},
            {
                "planner": "pattern",
                "metric": "robustness.typos.accuracy",
                "op": ">=",
                "threshold": 0.4,
                "use": "lower_bound",
            },
            {
                "planner": "pattern",
                "metric": "robustness.casing.flip_rate",
                "op": "<=",
                "threshold": 0.1,
            },
            {
                "planner": "pattern",
                "metric": "false_action_rate",
                "op": "<=",
                "threshold": 0.02,
                "category": "out_of_domain",
            },
        )
    )
    report = evaluate_gates(metrics, gates)
    statuses = [check.status for check in report.checks]
    assert statuses == ["fail", "pass", "skip", "skip"]
    assert "FAIL pattern robustness.typos.flip_rate 0.200 > 0.100" in report.checks[0].message


@pytest.mark.parametrize(
    ("metric", "use", "message"),
    [
        ("robustness.typos.nope", "point", "unknown metric"),
        ("robustness.typos.flips", "lower_bound", "needs a rate"),
    ],
)
def test_bad_robustness_paths_are_config_errors(
    tmp_path: Path, metric: str, use: str, message: str
) -> None:
    path = gates_file(
        tmp_path, {"planner": "*", "metric": metric, "op": "<=", "threshold": 1, "use": use}
    )
    with pytest.raises(UserError, match=message):
        load_gates(path)


async def test_a_perturbed_run_tags_its_variants_and_summarises_them(tmp_path: Path) -> None:
    gates = gates_file(tmp_path, {"planner": "*", "metric": "n", "op": ">=", "threshold": 1})
    config = EvalConfig(
        planners=("pattern",),
        case_paths=(write_cases(tmp_path / "cases.yaml"),),
        gates_path=gates,
        perturbations=("casing", "number_format"),
    )
    run, summary = await run_new(
        config, offline_settings(), tmp_path / "run", open_planner_for=pattern_opener()
    )
    rows = read_rows(run.results_file)
    tagged = {
        (r["case_id"], r["source_case"], r["perturbation"]) for r in rows if r["perturbation"]
    }
    assert ("calc-add.casing", "calc-add", "casing") in tagged
    assert ("todo-complete.number_format", "todo-complete", "number_format") in tagged
    assert not any(r["category"] == "adversarial" and r["perturbation"] for r in rows)
    assert summary.planners["pattern"].n == len(CASES)
    assert set(summary.planners["pattern"].robustness) == {"casing", "number_format"}
    assert summary.spec.args.perturbations == ["casing", "number_format"]
    assert summary.expected_trials == len(rows)


async def test_resuming_a_perturbed_run_derives_the_same_variants(tmp_path: Path) -> None:
    gates = gates_file(tmp_path, {"planner": "*", "metric": "n", "op": ">=", "threshold": 1})
    config = EvalConfig(
        planners=("pattern",),
        case_paths=(write_cases(tmp_path / "cases.yaml"),),
        gates_path=gates,
        perturbations=("filler", "typos"),
    )
    run, first = await run_new(
        config, offline_settings(), tmp_path / "run", open_planner_for=pattern_opener()
    )
    lines = run.results_file.read_text().splitlines()
    run.results_file.write_text("\n".join(lines[:-2]) + "\n")  # two trials lost
    spec = run.read_spec()
    resumed = config_for_resume(spec, gates_path=gates)
    assert resumed.perturbations == ("filler", "typos")
    again = await run_eval(
        resumed, offline_settings(), run, spec, resume=True, open_planner_for=pattern_opener()
    )

    def variants(rows: list[dict[str, object]]) -> set[tuple[object, object]]:
        return {(row["case_id"], row["prompt"]) for row in rows}

    assert variants(read_rows(run.results_file)) == variants([json.loads(x) for x in lines])
    assert again.trials == first.trials == again.expected_trials
    assert again.planners["pattern"].robustness == first.planners["pattern"].robustness
