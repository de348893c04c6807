"""`crane-bench load --planner` with a planner spec: served as given, asked for by label."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from crane_bench.cli.app import app
from crane_bench.cli.load import planner_choice


@pytest.mark.parametrize(
    ("planner", "host", "expected"),
    [
        ("hybrid", None, ("hybrid", "hybrid")),
        ("fast=hybrid[strategy=llm-first]", None, ("fast", "fast=hybrid[strategy=llm-first]")),
        ("llm[mode=oneshot]", None, ("llm[mode=oneshot]", "llm[mode=oneshot]")),
        ("fast", "http://127.0.0.1:8000", ("fast", "fast")),  # a label on that server
    ],
)
def test_a_spec_is_served_and_asked_for_by_its_label(
    planner: str, host: str | None, expected: tuple[str, str]
) -> None:
    assert planner_choice(planner, host) == expected


@pytest.mark.parametrize(
    ("planner", "message"),
    [
        ("hybrid[strategy=fastest]", "strategy: Input should be"),
        ("pattern,llm", "load runs one planner"),
        ("gpt", "unknown planner 'gpt'"),
    ],
)
def test_a_bad_spec_exits_2_with_one_line_before_anything_starts(
    planner: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["load", "--planner", planner, "--out", "run"])
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()
