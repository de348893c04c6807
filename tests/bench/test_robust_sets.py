"""The robustness sets' figures: on hand-made trial frames, and on real pattern-planner runs.

The pattern planner needs no model, so the end-to-end tests run real evals over small set
files written here. Their prompts are chosen so that the outcome does not hang on how
good the rules are: a "paraphrase" with no number at all cannot get a calculator plan
right, and a plain todo request is acted on by any planner that serves todos.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from rich.console import Console

from bench.robust_figures import (
    FALSE_ACTION_COLUMN,
    RobustSetsError,
    ood_figures,
    pair_map,
    paraphrase_figures,
)
from bench.robust_sets import choose_sets, cli, discover_sets, main
from crane_bench.evals.stats import clustered_interval, wilson_interval

ROOT = Path(__file__).resolve().parents[2]


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
    with pytest.raises(RobustSetsError, match="x-1-orig needs one pair-N tag"):
        pair_map(frame, "paraphrase_test")


def test_any_planned_step_is_a_false_action_even_an_invalid_one() -> None:
    def ood(case_id: str, tools: tuple[str, ...], outcome: str, metric: float) -> dict[str, Any]:
        row = _row(case_id, right=not tools, tools=tools, outcome=outcome, expected_abstain=True)
        row[FALSE_ACTION_COLUMN] = metric  # the registry's value: 1 for a valid plan with a step
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
    with pytest.raises(RobustSetsError, match="o-1 expects a step"):
        ood_figures(frame, "ood_test")


def _calc(case_id: str, prompt: str, role: str, pair: int, expression: str) -> str:
    return (
        f'- id: {case_id}\n  prompt: "{prompt}"\n  category: calculator\n'
        f"  tags: [{role}, pair-{pair}]\n"
        f'  expected: {{steps: [{{tool: "calculator", input: {{expression: "{expression}"}}}}]}}\n'
    )


def _ood(case_id: str, prompt: str) -> str:
    return (
        f'- id: {case_id}\n  prompt: "{prompt}"\n  category: out_of_domain\n'
        "  expected: {steps: []}\n"
    )


# Pair 1 flips (its paraphrase has no number), pair 2 gains (its original has none),
# pair 3 stays right.
BEFORE_PARAPHRASES = [
    ("t-1-orig", "what is 12 + 30", "original", 1, "12 + 30"),
    ("t-1-para", "zzz qqq", "paraphrase", 1, "12 + 30"),
    ("t-2-orig", "qqq zzz", "original", 2, "6 * 7"),
    ("t-2-para", "what is 6 * 7", "paraphrase", 2, "6 * 7"),
    ("t-3-orig", "what is 9 - 4", "original", 3, "9 - 4"),
    ("t-3-para", "calculate 9 - 4", "paraphrase", 3, "9 - 4"),
]
# After: pair 1's paraphrase and pair 2's original are answerable (2 better), pair 2's
# paraphrase is not (1 worse): pair 2 now flips, and pair 1 no longer does.
AFTER_TEXT = {"t-1-para": "what is 12 + 30", "t-2-orig": "what is 6 * 7", "t-2-para": "zzz www"}
AFTER_PARAPHRASES = [
    (case_id, AFTER_TEXT.get(case_id, prompt), *rest)
    for case_id, prompt, *rest in BEFORE_PARAPHRASES
]
BEFORE_OOD = [("t-ood-1", "add buy milk to my todo list"), ("t-ood-2", "zzz www qqq")]
AFTER_OOD = [("t-ood-1", "www zzz"), ("t-ood-2", "zzz www qqq")]


def _write_sets(data: Path, paraphrases: list[Any], ood: list[tuple[str, str]]) -> Path:
    data.mkdir()
    (data / "paraphrase_tiny.yaml").write_text("".join(_calc(*case) for case in paraphrases))
    (data / "ood_tiny.yaml").write_text("".join(_ood(*case) for case in ood))
    (data / "notes.yaml").write_text("not a set: neither paraphrase_* nor ood_*\n")
    return data


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Before and after: real pattern-planner runs of two versions of the tiny sets."""
    root = tmp_path_factory.mktemp("robust")
    outs = []
    for name, paraphrases, ood in (
        ("before", BEFORE_PARAPHRASES, BEFORE_OOD),
        ("after", AFTER_PARAPHRASES, AFTER_OOD),
    ):
        data = _write_sets(root / f"data-{name}", paraphrases, ood)
        out = root / name
        assert cli(["--data", str(data), "--planners", "pattern", "--out", str(out)]) == 0
        outs.append(out)
    return outs[0], outs[1]


def test_a_pattern_run_end_to_end_writes_run_dirs_and_the_figures(
    measured: tuple[Path, Path],
) -> None:
    before, _ = measured
    assert sorted(p.name for p in before.iterdir()) == [
        "ood_tiny",
        "paraphrase_tiny",
        "robust_sets.json",
    ]
    for stem in ("ood_tiny", "paraphrase_tiny"):  # ordinary run dirs, as crane-bench eval's
        assert {"spec.json", "results.jsonl", "summary.json", "transcripts.jsonl"} <= {
            p.name for p in (before / stem).iterdir()
        }
    report = json.loads((before / "robust_sets.json").read_text())
    by_set = {entry["set"]: entry for entry in report["sets"]}
    para = by_set["paraphrase_tiny"]["planners"]["pattern"]
    assert (para["pairs"], para["flips"], para["gains"]) == (3, 1, 1)
    assert (para["original_correct"], para["paraphrase_correct"]) == (2, 2)
    assert para["flipped"] == [{"pair": "pair-1", "original": "t-1-orig", "paraphrase": "t-1-para"}]
    ood = by_set["ood_tiny"]["planners"]["pattern"]
    assert (ood["trials"], ood["false_actions"], ood["metric_false_actions"]) == (2, 1, 1)
    assert [(a["case_id"], a["tools"]) for a in ood["actions"]] == [("t-ood-1", ["todo_store"])]
    assert ood["false_action_ci"] == list(wilson_interval(1, 2))


def test_from_run_reads_the_runs_again_to_the_same_figures(
    measured: tuple[Path, Path], tmp_path: Path
) -> None:
    before, _ = measured
    runs = [str(before / "ood_tiny"), str(before / "paraphrase_tiny")]
    assert cli(["--from-run", *runs, "--out", str(tmp_path)]) == 0
    again = json.loads((tmp_path / "robust_sets.json").read_text())
    first = json.loads((before / "robust_sets.json").read_text())
    assert again["sets"] == first["sets"]


def test_compare_counts_cases_better_and_worse_by_case_id(
    measured: tuple[Path, Path], tmp_path: Path
) -> None:
    before, after = measured
    assert cli(["--compare", str(before), str(after), "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "compare.json").read_text())
    by_set = {entry["set"]: entry for entry in result["sets"]}
    para = by_set["paraphrase_tiny"]
    assert para["same_cases"] is False
    change = para["planners"]["pattern"]
    assert (change["cases"], change["better"], change["worse"]) == (6, 2, 1)
    assert (change["before_correct"], change["after_correct"]) == (4, 5)
    assert change["p_value"] == 1.0  # 2 against 1: nothing to tell them apart
    # Before: 1 flip and 1 gain (drop 0); after: 1 flip, no gain in 3 pairs.
    assert change["before"] == 0.0
    assert change["after"] == pytest.approx(100 / 3)
    ood = by_set["ood_tiny"]["planners"]["pattern"]
    assert (ood["better"], ood["worse"]) == (1, 0)
    assert (ood["before"], ood["after"], ood["change"]) == (0.5, 0.0, -0.5)


def test_compare_and_from_run_keep_only_the_sets_and_planners_asked_for(
    measured: tuple[Path, Path], tmp_path: Path
) -> None:
    before, after = measured
    out = ["--out", str(tmp_path)]
    assert cli(["--compare", str(before), str(after), "--sets", "tiny", *out]) == 0
    result = json.loads((tmp_path / "compare.json").read_text())
    assert [entry["set"] for entry in result["sets"]] == ["ood_tiny", "paraphrase_tiny"]
    assert cli(["--compare", str(before), str(after), "--sets", "paraphrase_tiny", *out]) == 0
    result = json.loads((tmp_path / "compare.json").read_text())
    assert [entry["set"] for entry in result["sets"]] == ["paraphrase_tiny"]
    runs = [str(before / "ood_tiny"), str(before / "paraphrase_tiny")]
    assert cli(["--from-run", *runs, "--sets", "ood_tiny", "--planners", "pattern", *out]) == 0
    report = json.loads((tmp_path / "robust_sets.json").read_text())
    assert [(entry["set"], list(entry["planners"])) for entry in report["sets"]] == [
        ("ood_tiny", ["pattern"])
    ]
    # a planner that ran in none of the runs is an error, not an empty table
    assert cli(["--from-run", *runs, "--sets", "ood_tiny", "--planners", "llm", *out]) == 2


def test_bench_main_reads_sets_and_planners_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the default --out is a new runs/robust-sets-<stamp>
    monkeypatch.setenv("BENCH_ROBUST_SETS", "dev")
    monkeypatch.setenv("BENCH_ROBUST_PLANNERS", "pattern")
    main(Console(file=io.StringIO()))
    (out,) = (tmp_path / "runs").iterdir()
    assert out.name.startswith("robust-sets-")
    report = json.loads((out / "robust_sets.json").read_text())
    assert report["argv"] == ["--sets", "dev", "--planners", "pattern"]
    assert [(entry["set"], list(entry["planners"])) for entry in report["sets"]] == [
        ("ood_dev", ["pattern"]),
        ("paraphrase_dev", ["pattern"]),
    ]


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
    with pytest.raises(RobustSetsError, match="'holdout' names no set"):
        choose_sets(found, "holdout")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--compare", "only-one"], "expected 2 arguments"),
        (["--sets", "nope", "--data", "{data}"], "'nope' names no set"),
        (["--planners", "nosuch", "--data", "{data}"], "nosuch"),
        (["--data", "{tmp}/missing"], "not a directory"),
        (["--from-run", "{tmp}"], "not an eval run directory"),
        (["--from-run", "{data}", "--compare", "a", "b"], "cannot be used together"),
        (["--data", "{data}", "--planners", "pattern", "--out", "{out}"], "already holds a run"),
        (["--from-run", "{out}/ood_tiny", "--planners", "hybrid"], "trials of hybrid"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    argv: list[str],
    message: str,
    measured: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before, _ = measured
    data = _write_sets(tmp_path / "data", BEFORE_PARAPHRASES, BEFORE_OOD)
    filled = [arg.format(data=data, tmp=tmp_path, out=before) for arg in argv]
    assert cli(filled) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("error: ")
    assert message in line


def test_the_module_runs_as_a_command_and_exits_2_on_a_bad_argument() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.robust_sets", "--sets"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "expected one argument" in _one_line(done.stderr)
