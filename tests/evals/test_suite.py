"""The gold suite itself: its size and mix, and that every expected plan runs as promised.

Each expected plan is executed on the real tools (setup todos first), so a case whose
outcome or `fails` flag is wrong fails here, not in a benchmark run.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml
from pydantic import JsonValue

from crane_bench.evals.cases import KNOWN_CATEGORIES, Case, case_json_schema, load_cases
from crane_bench.evals.matching import compare_plan, first_choice, match_outcome, numbers_equal
from crane_bench.runtime.errors import ToolError
from crane_bench.runtime.models import PlanStep
from crane_bench.runtime.tools import ToolRegistry, default_tools, evaluate

CASES_DIR = Path(__file__).resolve().parents[2] / "evals" / "cases"
SUITE = load_cases([CASES_DIR])
BY_ID = {case.id: case for case in SUITE}


def test_suite_size_and_mix() -> None:
    counts = Counter(case.category for case in SUITE)
    assert len(SUITE) >= 150
    for category in KNOWN_CATEGORIES:
        assert counts[category] >= 20, category
    assert len(BY_ID) == len(SUITE)  # ids unique


def test_each_file_holds_its_own_category() -> None:
    for path in sorted(CASES_DIR.glob("*.yaml")):
        cases = load_cases([path])
        assert {case.category for case in cases} == {path.stem}, path.name


def test_prompts_are_not_repeated() -> None:
    prompts = Counter(" ".join(case.prompt.lower().split()) for case in SUITE)
    assert [prompt for prompt, n in prompts.items() if n > 1] == []


def test_raw_files_fit_the_exported_schema() -> None:
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    validator = jsonschema_rs.validator_for(case_json_schema())
    for path in sorted(CASES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        errors = [error.message for error in validator.iter_errors(data)]
        assert errors == [], path.name


def test_abstain_cases_call_no_tool_and_others_mostly_have_outcomes() -> None:
    assert all(not case.expected.steps for case in SUITE if case.category == "abstain")
    checked = [
        case
        for case in SUITE
        if case.category in ("calculator", "todo") and not case.expected.fails
    ]
    with_outcome = [case for case in checked if case.expected.outcome is not None]
    assert len(with_outcome) >= 0.9 * len(checked)


def test_tools_are_registered() -> None:
    known = set(default_tools())
    used = {step.tool for case in SUITE for step in case.expected.steps}
    assert used <= known


@pytest.mark.parametrize("case_id", [c.id for c in SUITE if c.category == "calculator"])
def test_calculator_expression_gives_the_outcome(case_id: str) -> None:
    case = BY_ID[case_id]
    (step,) = case.expected.steps
    expression = first_choice(step.input["expression"])
    assert isinstance(expression, str)
    if case.expected.fails:
        return  # executing it must fail: checked by test_expected_plan_runs_as_promised
    value = evaluate(expression)
    assert isinstance(case.expected.outcome, int | float)
    assert numbers_equal(case.expected.outcome, value), (expression, value)


@pytest.mark.parametrize("case_id", [c.id for c in SUITE])
def test_expected_plan_matches_itself(case_id: str) -> None:
    """Matching accepts each plan's own first choices (any_of, refused expressions)."""
    steps = BY_ID[case_id].expected.steps
    planned = [PlanStep(tool=s.tool, input=_resolve(s.input)) for s in steps]
    assert compare_plan(steps, planned).exact_match


def _resolve(data: dict[str, JsonValue]) -> dict[str, JsonValue]:
    resolved = first_choice(data)
    assert isinstance(resolved, dict)
    return resolved


async def _run_step(tools: ToolRegistry, tool: str, data: dict[str, JsonValue]) -> JsonValue:
    parsed = tools.parse_input(tool, data)
    output: JsonValue = await tools[tool].run(parsed)
    return output


async def _execute(case: Case) -> tuple[JsonValue, ToolError | None]:
    """Run setup and the expected steps; stop at the first clean refusal, as a run does."""
    tools = default_tools()
    for number, title in enumerate(case.setup.todos, start=1):
        todo = await _run_step(tools, "todo_store", {"action": "add", "title": title})
        assert isinstance(todo, dict)
        assert todo["id"] == number
    output: JsonValue = None
    for step in case.expected.steps:
        try:
            output = await _run_step(tools, step.tool, _resolve(step.input))
        except ToolError as exc:  # a clean refusal; anything else is a bug and propagates
            return None, exc
    return output, None


async def assert_runs_as_promised(case: Case) -> None:
    """Run the case's expected plan on fresh tools and check what it promises.

    A case that `fails` must fail cleanly; any other must run and give its outcome.
    """
    output, error = await _execute(case)
    if case.expected.fails:
        assert error is not None, f"expected a clean failure, got {output!r}"
        return
    assert error is None, f"{type(error).__name__}: {error}"
    if case.expected.outcome is not None:
        assert match_outcome(case.expected.outcome, output), output


@pytest.mark.parametrize("case_id", [c.id for c in SUITE if c.expected.steps])
async def test_expected_plan_runs_as_promised(case_id: str) -> None:
    await assert_runs_as_promised(BY_ID[case_id])
