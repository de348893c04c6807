"""`crane-bench robustness`: real pattern-planner runs of small sets, end to end.

The pattern planner needs no model, so these run real evals over small set files written
here. Their prompts are chosen so that the outcome does not hang on how good the rules
are: a "paraphrase" with no number at all cannot get a calculator plan right, and a plain
todo request is acted on by any planner that serves todos. The figures and the comparison
are also held to what the tool printed before it moved from `bench/` into `evals` and the
CLI (`tests/evals/data/robustness_sets_tiny.json`, made by `python -m bench.robust_sets`
on the same sets).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from crane_bench.cli.app import app
from crane_bench.evals.stats import wilson_interval

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = ROOT / "tests" / "evals" / "data" / "robustness_sets_tiny.json"


def invoke(argv: list[str]) -> Result:
    """Run `crane-bench robustness ARGV` in process."""
    return CliRunner().invoke(app, ["robustness", *argv])


def cli(argv: list[str]) -> int:
    """Run `crane-bench robustness ARGV` in process; its exit code."""
    return invoke(argv).exit_code


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
        assert cli(["run", "--data", str(data), "--planners", "pattern", "--out", str(out)]) == 0
        outs.append(out)
    return outs[0], outs[1]


def test_a_pattern_run_end_to_end_writes_run_dirs_and_the_figures(
    measured: tuple[Path, Path],
) -> None:
    before, _ = measured
    assert sorted(p.name for p in before.iterdir()) == [
        "ood_tiny",
        "paraphrase_tiny",
        "robustness_sets.json",
    ]
    for stem in ("ood_tiny", "paraphrase_tiny"):  # ordinary run dirs, as crane-bench eval's
        assert {"spec.json", "results.jsonl", "summary.json", "transcripts.jsonl"} <= {
            p.name for p in (before / stem).iterdir()
        }
    report = json.loads((before / "robustness_sets.json").read_text())
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
    assert cli(["read", *runs, "--out", str(tmp_path)]) == 0
    again = json.loads((tmp_path / "robustness_sets.json").read_text())
    first = json.loads((before / "robustness_sets.json").read_text())
    assert again["sets"] == first["sets"]


def test_compare_counts_cases_better_and_worse_by_case_id(
    measured: tuple[Path, Path], tmp_path: Path
) -> None:
    before, after = measured
    assert cli(["compare", str(before), str(after), "--out", str(tmp_path)]) == 0
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
    assert cli(["compare", str(before), str(after), "--sets", "tiny", *out]) == 0
    result = json.loads((tmp_path / "compare.json").read_text())
    assert [entry["set"] for entry in result["sets"]] == ["ood_tiny", "paraphrase_tiny"]
    assert cli(["compare", str(before), str(after), "--sets", "paraphrase_tiny", *out]) == 0
    result = json.loads((tmp_path / "compare.json").read_text())
    assert [entry["set"] for entry in result["sets"]] == ["paraphrase_tiny"]
    runs = [str(before / "ood_tiny"), str(before / "paraphrase_tiny")]
    assert cli(["read", *runs, "--sets", "ood_tiny", "--planners", "pattern", *out]) == 0
    report = json.loads((tmp_path / "robustness_sets.json").read_text())
    assert [(entry["set"], list(entry["planners"])) for entry in report["sets"]] == [
        ("ood_tiny", ["pattern"])
    ]
    # a planner that ran in none of the runs is an error, not an empty table
    assert cli(["read", *runs, "--sets", "ood_tiny", "--planners", "llm", *out]) == 2


def test_the_figures_are_those_the_tool_gave_before_it_moved_into_evals(
    measured: tuple[Path, Path], tmp_path: Path
) -> None:
    golden = json.loads(GOLDEN.read_text())
    for side, out in zip(("before", "after"), measured, strict=True):
        sets = json.loads((out / "robustness_sets.json").read_text())["sets"]
        for entry in sets:
            assert entry.pop("run_dir") == str(out / entry["set"])
        assert sets == golden[side], side
    assert cli(["compare", *map(str, measured), "--out", str(tmp_path)]) == 0
    compared = json.loads((tmp_path / "compare.json").read_text())
    assert (compared.pop("before"), compared.pop("after")) == tuple(map(str, measured))
    assert compared == golden["compare"]


def test_run_defaults_to_a_new_directory_under_runs_and_prints_the_dev_sets_failures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(["run", "--sets", "dev", "--planners", "pattern"])
    assert result.exit_code == 0, result.output
    (out,) = (tmp_path / "runs").iterdir()
    assert out.name.startswith("robustness-sets-")
    report = json.loads((out / "robustness_sets.json").read_text())
    assert report["argv"] == ["run", "--sets", "dev", "--planners", "pattern"]
    assert [(entry["set"], list(entry["planners"])) for entry in report["sets"]] == [
        ("ood_dev", ["pattern"]),
        ("paraphrase_dev", ["pattern"]),
    ]
    # A dev set's failing cases are printed without --details (a held-out set's are not).
    para = next(e for e in report["sets"] if e["set"] == "paraphrase_dev")["planners"]["pattern"]
    flipped = para["flipped"]
    assert flipped, "the rules flip no paraphrase_dev pair: pick a set that shows one"
    assert f"flipped (paraphrase_dev, pattern): {flipped[0]['original']}/" in result.stdout


def test_read_prints_a_held_out_sets_failures_only_with_details(
    measured: tuple[Path, Path],
) -> None:
    before, _ = measured
    runs = [str(before / "paraphrase_tiny")]
    quiet, loud = invoke(["read", *runs]), invoke(["read", *runs, "--details"])
    assert quiet.exit_code == loud.exit_code == 0
    assert "flipped (paraphrase_tiny, pattern): t-1-orig/t-1-para" not in quiet.stdout
    assert "flipped (paraphrase_tiny, pattern): t-1-orig/t-1-para" in loud.stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--sets", "nope", "--data", "{data}"], "'nope' names no set"),
        (["run", "--planners", "nosuch", "--data", "{data}"], "nosuch"),
        (["run", "--data", "{tmp}/missing"], "not a directory"),
        (["read", "{tmp}"], "not an eval run directory"),
        (["compare", "{tmp}", "{out}"], "holds no set run"),
        (
            ["run", "--data", "{data}", "--planners", "pattern", "--out", "{out}"],
            "already holds a run",
        ),
        (["read", "{out}/ood_tiny", "--planners", "hybrid"], "trials of hybrid"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    argv: list[str], message: str, measured: tuple[Path, Path], tmp_path: Path
) -> None:
    before, _ = measured
    data = _write_sets(tmp_path / "data", BEFORE_PARAPHRASES, BEFORE_OOD)
    filled = [arg.format(data=data, tmp=tmp_path, out=before) for arg in argv]
    result = invoke(filled)
    assert result.exit_code == 2, result.output
    line = _one_line(result.stderr)
    assert line.startswith("error: ")
    assert message in line


@pytest.mark.parametrize(
    "argv", [["run", "--bogus"], ["compare", "only-one"], ["read"], ["run", "--sets"]]
)
def test_usage_errors_exit_2(argv: list[str]) -> None:
    assert invoke(argv).exit_code == 2


def test_help_lists_the_three_commands() -> None:
    result = invoke(["--help"])
    assert result.exit_code == 0
    for command in ("run", "read", "compare"):
        assert command in result.stdout
