"""`crane-bench load` usage errors: one line, exit 2, and nothing started."""

from __future__ import annotations

from pathlib import Path
from typing import get_args, get_type_hints

import pytest
from typer.testing import CliRunner

from crane_bench.cli.app import app
from crane_bench.cli.load import load_command, serve_command
from crane_bench.load import SCENARIOS, SHAPES, LoadConfig, LoadSummary, SloConfig, evaluate
from crane_bench.load.stats import rate_report, request_stats
from crane_bench.load.summary import CpuReport


def load(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["load", *args])
    return result.exit_code, result.stderr


def option_choices(option: str) -> tuple[str, ...]:
    """The values typer offers for an option of `load`: its `Literal`'s arguments."""
    annotated = get_type_hints(load_command, include_extras=True)[option]
    # `Scenario | None`: None is "not given", and LoadConfig's default applies.
    [literal] = [arg for arg in get_args(get_args(annotated)[0]) if arg is not type(None)]
    return get_args(literal)


def test_the_choices_are_the_load_packages_names() -> None:
    assert option_choices("scenario") == SCENARIOS
    assert option_choices("shape") == SHAPES


def test_an_unknown_scenario_is_a_usage_error() -> None:
    code, stderr = load("--scenario", "nope")
    assert code == 2
    assert "mixed" in stderr


def test_the_service_is_started_with_the_planner_on_loopback() -> None:
    command = serve_command("hybrid")(8123)
    assert command[1:] == [
        "-m", "crane_bench.cli.app", "serve",
        "--host", "127.0.0.1", "--port", "8123", "--planner", "hybrid",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--run-time", "soon"], "run time 'soon'"),
        (["--host", "localhost:8000"], "must start with http://"),
        (["--slo", "missing.yaml"], "SLO file missing.yaml"),
        (["--baseline", "missing.json"], "missing.json"),
    ],
)
def test_a_usage_error_exits_2_with_one_line(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, stderr = load(*args, "--out", "run")
    assert code == 2
    assert message in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()  # refused before anything was started


def test_a_baseline_of_another_version_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    requests = request_stats([], [], duration_s=1.0)
    rate = rate_report(
        arrivals=0, duration_s=1.0, target_per_s=None, per_user_rate=None, user_seconds=0
    )
    cpu = CpuReport(cpu_s=0, wall_s=1, cores_used=0, share=0, cores=2, processes=1)
    summary = LoadSummary(
        version=99, run_id="old", started_at="2025-01-01T00:00:00Z",
        finished_at="2025-01-01T00:01:00Z", config=LoadConfig(), host="http://h",
        locust_command=[], locust_exit_code=0, requests=requests, rate=rate, peak_users=0,
        generator_cpu=cpu, gates=evaluate(requests, rate, SloConfig()), files={},
    )  # fmt: skip
    (tmp_path / "old.json").write_text(summary.model_dump_json())
    code, stderr = load("--baseline", "old.json", "--out", "run")
    assert code == 2
    assert "LoadSummary version 99, expected 1" in stderr


def test_an_existing_run_directory_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "load_summary.json").write_text("{}")
    code, stderr = load("--out", "run")
    assert code == 2
    assert "not an empty directory" in stderr
