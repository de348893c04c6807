"""`crane-bench power RUN_DIR`: planning a suite from a run's own discordance."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from crane_bench.cli.app import app
from crane_bench.evals.power import mcnemar_cases_needed, mcnemar_mde, rate_gate_resolution
from tests.reports.run_builders import CASES_YAML, fixture_rows, write_eval_run


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    cases = tmp_path / "cases.yaml"
    cases.write_text(CASES_YAML, encoding="utf-8")
    summary = write_eval_run(tmp_path / "run", fixture_rows(), cases=cases)
    assert summary.comparisons
    return tmp_path / "run"


def power(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["power", *args])
    return result.exit_code, result.stdout, result.stderr


def test_cases_needed_for_an_effect(run_dir: Path) -> None:
    code, out, err = power(str(run_dir), "--effect", "0.3")
    assert code == 0, err
    pair = next(line for line in out.splitlines() if " vs " in line)
    # The fixture's hybrid and pattern disagree on 4 of their 8 paired cases.
    assert "disagree on 50.0% of cases (4 of 8)" in pair
    needed = mcnemar_cases_needed(0.3, 0.5)
    assert needed is not None
    assert f"{needed:,} cases detect 30.0 points 80% of the time (this run: 8)" in pair
    gate = next(line for line in out.splitlines() if line.startswith("pattern plan_accuracy"))
    assert "cases resolve rates 30.0 points from 0.9" in gate


def test_effect_detected_with_n_cases(run_dir: Path) -> None:
    code, out, err = power(str(run_dir), "--cases", "500")
    assert code == 0, err
    mde = mcnemar_mde(500, 0.5)
    assert mde is not None
    assert f"500 cases detect {mde * 100:.1f} points or more" in out
    resolution = rate_gate_resolution(500, 0.9, ">=")
    assert resolution is not None
    assert f"500 cases resolve rates {resolution * 100:.1f} points from 0.9" in out


def test_an_effect_beyond_the_discordance_cannot_be_detected(run_dir: Path) -> None:
    code, out, _ = power(str(run_dir), "--effect", "0.6")
    assert code == 0
    assert "disagree this rarely cannot differ by 60.0 points" in out


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ((), "give one of --effect"),
        (("--effect", "0.1", "--cases", "10"), "give one of --effect"),
        (("--effect", "1.5"), "lies between 0 and 1"),
        (("--cases", "0"), "need at least one case"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(run_dir: Path, args: tuple[str, ...], said: str) -> None:
    code, out, err = power(str(run_dir), *args)
    assert code == 2
    assert out == ""
    assert said in err
    assert len(err.strip().splitlines()) == 1


def test_a_directory_without_a_summary(tmp_path: Path) -> None:
    code, _, err = power(str(tmp_path), "--effect", "0.03")
    assert code == 2
    assert "no summary.json" in err
