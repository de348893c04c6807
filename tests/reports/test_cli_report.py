"""`crane-bench report` through typer's CliRunner: outputs and exit codes."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from crane_bench.cli.app import app


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["report", *args])
    return result.exit_code, result.stdout, result.stderr


def test_builds_each_run_and_prints_the_paths(eval_dir: Path, load_dir: Path) -> None:
    code, out, _ = invoke(str(eval_dir), str(load_dir))
    assert code == 0
    assert out.splitlines() == [str(eval_dir / "report.html"), str(load_dir / "load_report.html")]


def test_history(runs: Path) -> None:
    code, out, _ = invoke("--history", str(runs))
    assert code == 0
    assert out.strip() == str(runs / "history.html")


def test_a_bad_directory_is_one_line_and_the_others_still_build(
    eval_dir: Path, tmp_path: Path
) -> None:
    code, out, err = invoke(str(tmp_path / "missing"), str(eval_dir))
    assert code == 2
    assert out.strip() == str(eval_dir / "report.html")
    assert "missing: not a directory" in err
    assert "Traceback" not in err


def test_nothing_to_do() -> None:
    code, _, err = invoke()
    assert code == 2
    assert "nothing to do" in err
