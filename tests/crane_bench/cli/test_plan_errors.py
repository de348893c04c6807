"""`crane-bench plan` against a model server that answers badly: one line, exit 1.

The model is a `FakeLlama` on a real loopback socket, reached through
`OPENAI_BASE_URL` exactly as a user would configure it.
"""

from __future__ import annotations

import json

import pytest
from click.testing import Result
from typer.testing import CliRunner

from crane_bench.cli.app import app
from tests.runtime.planners.fake_llama import MALFORMED, FakeLlama
from tests.runtime.planners.fake_openai import FAKE_KEY, plan_json

pytestmark = pytest.mark.integration

SHAPES = list(MALFORMED)
PROMPT = "calculate 2 + 2"


def plan(*args: str) -> Result:
    return CliRunner().invoke(app, ["plan", *args])


def one_error_line(result: Result) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize("mode", ["oneshot", "decomposed"])
@pytest.mark.parametrize("shape", SHAPES)
def test_a_malformed_answer_is_one_line_and_exit_1(
    llama: FakeLlama, shape: str, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_PLANNER_MODE", mode)
    llama.repeat = MALFORMED[shape]

    result = plan(PROMPT, "--planner", "llm")

    assert result.exit_code == 1
    assert "MalformedResponseError: malformed model response" in one_error_line(result)
    assert FAKE_KEY not in result.output
    assert result.stdout == ""


@pytest.mark.parametrize("shape", SHAPES)
def test_the_hybrid_falls_back_on_a_malformed_answer(
    llama: FakeLlama, shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_PLANNER_MODE", "oneshot")
    monkeypatch.setenv("HYBRID_STRATEGY", "llm-first")  # ask the model although rules could
    llama.repeat = MALFORMED[shape]

    result = plan(PROMPT, "--planner", "hybrid")

    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout)
    assert made["plan"]["steps"] == [{"tool": "calculator", "input": {"expression": "2 + 2"}}]
    assert made["meta"]["fallback"]["reason"] == "model_error"
    assert made["meta"]["fallback"]["detail"].startswith("malformed model response")


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (plan_json(("weather", {"city": "Paris"})), "unknown tool 'weather'"),
        (plan_json(("calculator", {"expression": "2 +"})), "not a valid arithmetic"),
        (plan_json(("calculator", {"expr": "2 + 2"})), "expression"),
    ],
)
def test_a_plan_that_cannot_run_is_one_line_and_exit_1(
    llama: FakeLlama, answer: str, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_PLANNER_MODE", "oneshot")
    llama.repeat = answer

    result = plan("what is the weather in Paris", "--planner", "llm")

    assert result.exit_code == 1
    line = one_error_line(result)
    assert line.startswith("error: InvalidPlanError: step 1")
    assert reason in line
    assert result.stdout == ""


def test_a_plan_that_can_run_is_printed(llama: FakeLlama, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_PLANNER_MODE", "oneshot")
    llama.repeat = plan_json(("calculator", {"expression": "2 + 2"}))

    result = plan(PROMPT, "--planner", "llm")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["plan"]["steps"][0]["tool"] == "calculator"
