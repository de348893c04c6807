"""`crane-bench load --planner` with planner specs: served as given, asked for by label in turn."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crane_bench.cli.app import app
from crane_bench.cli.load import planner_choice
from crane_bench.load import LoadConfig
from crane_bench.load.config import parse_labels
from crane_bench.load.locust_command import locust_command

LIST = "pattern,fast=hybrid[strategy=llm-first],hybrid[strategy=pattern-first,mode=oneshot]"


@pytest.mark.parametrize(
    ("planner", "host", "expected"),
    [
        ("hybrid", None, (("hybrid",), "hybrid")),
        ("fast=hybrid[strategy=llm-first]", None, (("fast",), "fast=hybrid[strategy=llm-first]")),
        ("llm[mode=oneshot]", None, (("llm[mode=oneshot]",), "llm[mode=oneshot]")),
        ("fast", "http://127.0.0.1:8000", (("fast",), "fast")),  # a label on that server
        (
            LIST,
            None,
            (("pattern", "fast", "hybrid[strategy=pattern-first,mode=oneshot]"), LIST),
        ),
        ("rules,fast", "http://127.0.0.1:8000", (("rules", "fast"), "rules,fast")),
    ],
)
def test_specs_are_served_and_asked_for_by_their_labels(
    planner: str, host: str | None, expected: tuple[tuple[str, ...], str]
) -> None:
    assert planner_choice(planner, host) == expected


def test_the_labels_reach_locust_whole_even_with_commas_inside(tmp_path: Path) -> None:
    labels, _served = planner_choice(LIST, None)
    command = locust_command(LoadConfig(planners=labels), "http://h", tmp_path)
    given = command[command.index("--crane-planner") + 1]
    assert json.loads(given) == list(labels)
    assert parse_labels(given) == list(labels)
    one = locust_command(LoadConfig(planners=("hybrid",)), "http://h", tmp_path)
    assert parse_labels(one[one.index("--crane-planner") + 1]) == ["hybrid"]


@pytest.mark.parametrize(
    ("planner", "message"),
    [
        ("hybrid[strategy=fastest]", "strategy: Input should be"),
        ("pattern,pattern", "the label 'pattern' is used twice"),
        ("pattern,gpt", "unknown planner 'gpt'"),
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
