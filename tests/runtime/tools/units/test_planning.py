"""The converter end to end: planned by the rules and by the model planners, then run."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from crane_bench.runtime.models import PlanStep, RunStatus
from crane_bench.runtime.orchestrator import Orchestrator
from crane_bench.runtime.planners.decomposed import INSTRUCTIONS, DecomposedLLMPlanner
from crane_bench.runtime.planners.hybrid import HybridPlanner
from crane_bench.runtime.planners.llm import LLMPlanner, LLMPlannerConfig
from crane_bench.runtime.planners.pattern import PatternPlanner
from crane_bench.runtime.tools import default_tools
from tests.runtime.planners.fake_llama import FakeLlama
from tests.runtime.planners.fake_openai import FakeOpenAI, SleepRecorder, plan_json

CONVERSION = PlanStep(tool="unit_converter", input={"value": 5, "from_unit": "km", "to_unit": "mi"})


@pytest.fixture
async def llama() -> AsyncIterator[FakeLlama]:
    fake = FakeLlama()
    yield fake
    await fake.aclose()


@pytest.fixture
async def chat() -> AsyncIterator[FakeOpenAI]:
    fake = FakeOpenAI()
    yield fake
    await fake.aclose()


def _decomposed(server: FakeLlama) -> DecomposedLLMPlanner:
    return DecomposedLLMPlanner(
        server.client(),
        model="tiny",
        kind="completion",
        config=LLMPlannerConfig(local=True),
        sleep=SleepRecorder(),
    )


async def test_the_pattern_planner_plans_a_conversion_and_the_orchestrator_runs_it() -> None:
    plan = PatternPlanner().plan_sync("convert 5 km to miles, then what is 2 + 3")
    assert plan.steps == [CONVERSION, PlanStep(tool="calculator", input={"expression": "2 + 3"})]
    run = await Orchestrator().execute(
        PatternPlanner().plan_sync("convert 5 km to miles"), default_tools()
    )
    assert run.status is RunStatus.COMPLETED
    assert run.output == {"value": pytest.approx(3.1068559611866697), "unit": "mi"}


async def test_a_conversion_between_kinds_is_a_recorded_failed_step() -> None:
    plan = PatternPlanner().plan_sync("convert 5 kg to meters")
    run = await Orchestrator().execute(plan, default_tools())
    assert run.status is RunStatus.FAILED
    step = run.steps[0]
    assert step.error is not None
    assert (step.error.type, step.attempts) == ("UnitsError", 1)
    assert "cannot convert kg (mass) to m (length)" in step.error.message


async def test_the_decomposed_request_for_a_conversion_offers_the_units_label(
    llama: FakeLlama,
) -> None:
    llama.enqueue(" yes\nunit_convert\nValue: 5\nFrom: km\nTo: mi\n")
    result = await _decomposed(llama).plan("convert 5 km to miles")
    assert result.plan.steps == [CONVERSION]
    body = llama.bodies[0]
    grammar = body["grammar"]
    assert '"yes\\nunit_convert" "\\nValue: " units-value "\\nFrom: " units-from' in grammar
    assert 'units-value ::= "-"? ("5" | "1")' in grammar
    assert 'units-from ::= "km"\n' in grammar  # the unit the amount is given in
    assert 'units-to ::= "mi"\n' in grammar  # the other unit the clause names
    assert "calculator" not in grammar
    prompt = body["prompt"]
    assert prompt.startswith("You route one request to one tool call.\n")
    assert "unit_convert (convert a value from one unit to another" in prompt
    assert "Value: " in prompt  # the converter's own examples are shown


async def test_a_request_that_does_not_cue_the_converter_does_not_mention_it(
    llama: FakeLlama,
) -> None:
    llama.enqueue(" yes\ncalculator\nExpression: 7 * 8\n")
    await _decomposed(llama).plan("what is 7 times 8")
    body = llama.bodies[0]
    assert body["prompt"].startswith(INSTRUCTIONS)
    assert "unit" not in body["prompt"]
    assert "unit_convert" not in body["grammar"]


async def test_the_one_shot_planner_is_shown_the_converter_for_a_conversion(
    chat: FakeOpenAI,
) -> None:
    chat.enqueue(plan_json(("unit_converter", {"value": 5, "from_unit": "km", "to_unit": "mi"})))
    chat.enqueue(plan_json())
    planner = LLMPlanner(chat.client(), model="m", tools=default_tools().describe())
    result = await planner.plan("convert 5 km to miles")
    await planner.plan("write me a poem")
    assert result.plan.steps == [CONVERSION]
    shown, not_shown = (body["messages"][0]["content"] for body in chat.bodies)
    assert "- unit_converter: Convert a value" in shown
    assert "Request: Convert 3 miles to kilometers." in shown
    assert "unit_converter" not in not_shown


async def test_the_hybrid_asks_the_model_about_a_conversion_the_rules_cannot_read(
    llama: FakeLlama,
) -> None:
    llama.enqueue(" yes\nunit_convert\nValue: 5\nFrom: km\nTo: mi\n")
    hybrid = HybridPlanner(
        llm=_decomposed(llama),
        pattern=PatternPlanner(),
        tools=default_tools(),
        strategy="clause-merge",
    )
    result = await hybrid.plan("5 km is roughly how many miles")
    assert result.plan.steps == [CONVERSION]
    assert len(llama.bodies) == 1
