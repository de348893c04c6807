"""The hybrid planner: the real LLM planner over a scripted server, and a scripted pattern."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from crane_bench.runtime.models import FallbackReason, Plan, PlanMeta, PlanResult, PlanStep
from crane_bench.runtime.planners.base import Planner
from crane_bench.runtime.planners.hybrid import HybridPlanner, PatternLike
from crane_bench.runtime.planners.llm import LLMPlanner, LLMPlannerConfig
from crane_bench.runtime.planners.pattern import PatternPlanner
from crane_bench.runtime.settings import HybridStrategy
from crane_bench.runtime.tools import default_tools
from crane_bench.runtime.transcript import ModelVerdictEvent, Recorder
from tests.runtime.planners.fake_openai import (
    FAKE_KEY,
    FakeOpenAI,
    SleepRecorder,
    chat_completion,
    error_response,
    plan_json,
)

PATTERN_PLAN = Plan(steps=[PlanStep(tool="todo_store", input={"action": "list"})])
LLM_OUTPUT = plan_json(("calculator", {"expression": "6 * 7"}))
LLM_PLAN = Plan(steps=[PlanStep(tool="calculator", input={"expression": "6 * 7"})])


@dataclass(frozen=True)
class ScriptedClause:
    text: str
    steps: list[PlanStep] | None


@dataclass(frozen=True)
class ScriptedMatch:
    plan: Plan
    confident: bool
    unmatched: list[str] = field(default_factory=list)
    clauses: list[ScriptedClause] = field(default_factory=list)


class ScriptedPattern:
    """A pattern planner whose answer and confidence the test decides."""

    name = "pattern"

    def __init__(
        self,
        plan: Plan = PATTERN_PLAN,
        *,
        confident: bool = False,
        clauses: list[ScriptedClause] | None = None,
    ) -> None:
        self._match = ScriptedMatch(plan=plan, confident=confident, clauses=clauses or [])
        self.matched = 0

    def match(self, prompt: str) -> ScriptedMatch:
        self.matched += 1
        return self._match

    async def plan(self, prompt: str) -> PlanResult:
        return PlanResult(plan=self.match(prompt).plan, meta=PlanMeta(planner=self.name))


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    server = FakeOpenAI()
    yield server
    await server.aclose()


def make_hybrid(
    fake: FakeOpenAI,
    *,
    strategy: HybridStrategy = "llm-first",
    pattern: PatternLike | None = None,
) -> HybridPlanner:
    llm = LLMPlanner(
        fake.client(),
        model="gpt-4o-mini",
        tools=default_tools().describe(),
        config=LLMPlannerConfig(max_retries=1),
        sleep=SleepRecorder(),
    )
    return HybridPlanner(
        llm=llm, pattern=pattern or ScriptedPattern(), tools=default_tools(), strategy=strategy
    )


async def test_llm_first_uses_a_valid_llm_plan(fake: FakeOpenAI) -> None:
    fake.enqueue(LLM_OUTPUT)

    result = await make_hybrid(fake).plan("what is six times seven")

    assert result.plan == LLM_PLAN
    meta = result.meta
    assert (meta.planner, meta.strategy, meta.fallback) == ("hybrid", "llm-first", None)
    assert (meta.model, meta.tokens_in, meta.tokens_out) == ("gpt-4o-mini", 120, 30)
    assert (meta.model_calls, meta.decision) == (1, "the model's plan")
    assert meta.raw_output == LLM_OUTPUT
    assert meta.cost_usd > 0
    assert meta.latency_ms > 0


async def test_llm_abstaining_is_an_answer_not_a_failure(fake: FakeOpenAI) -> None:
    fake.enqueue('{"steps": []}')

    result = await make_hybrid(fake).plan("tell me a joke")

    assert result.plan.abstains
    assert result.meta.fallback is None


CASES = [
    pytest.param([error_response(500)] * 2, FallbackReason.MODEL_ERROR, id="http-500"),
    pytest.param([error_response(400)], FallbackReason.MODEL_ERROR, id="http-400"),
    pytest.param([httpx.ConnectError] * 2, FallbackReason.MODEL_ERROR, id="refused"),
    pytest.param([httpx.ReadTimeout] * 2, FallbackReason.TIMEOUT, id="timeout"),
    pytest.param(["I think you want the calculator."], FallbackReason.INVALID_JSON, id="prose"),
    pytest.param(
        [httpx.Response(200, json=chat_completion('{"steps": [', finish_reason="length"))],
        FallbackReason.INVALID_JSON,
        id="truncated",
    ),
    pytest.param(['{"steps": [{"name": "calculator"}]}'], FallbackReason.INVALID_JSON, id="schema"),
    pytest.param(
        [plan_json(("web_search", {"query": "weather"}))], FallbackReason.UNKNOWN_TOOL, id="tool"
    ),
    pytest.param(
        [plan_json(("calculator", {"expression": "six times seven"}))],
        FallbackReason.INVALID_INPUT,
        id="expression",
    ),
    pytest.param(
        [plan_json(("todo_store", {"action": "archive"}))],
        FallbackReason.INVALID_INPUT,
        id="todo-action",
    ),
]


@pytest.mark.parametrize(("script", "reason"), CASES)
@pytest.mark.parametrize("strategy", ["llm-first", "pattern-first"])
async def test_llm_failures_fall_back_to_the_pattern_plan(
    fake: FakeOpenAI,
    script: list[str | httpx.Response | type[httpx.TransportError]],
    reason: FallbackReason,
    strategy: HybridStrategy,
) -> None:
    fake.enqueue(*script)
    pattern = ScriptedPattern(confident=False)

    result = await make_hybrid(fake, strategy=strategy, pattern=pattern).plan("anything")

    assert result.plan == PATTERN_PLAN
    meta = result.meta
    assert meta.fallback is not None
    assert meta.fallback.reason is reason
    assert meta.fallback.detail
    assert "\n" not in meta.fallback.detail
    assert (meta.planner, meta.strategy, meta.model) == ("hybrid", strategy, "gpt-4o-mini")
    assert meta.model_calls == 1
    assert meta.decision is not None
    assert meta.decision.startswith(f"model failed ({reason.value})")
    assert pattern.matched == 1
    assert not fake.script, "every scripted answer was consumed"
    assert FAKE_KEY not in meta.model_dump_json()


async def test_fallback_keeps_what_the_llm_returned(fake: FakeOpenAI) -> None:
    output = plan_json(("calculator", {"expression": "2 +"}))
    fake.enqueue(output)

    result = await make_hybrid(fake).plan("what is two plus")

    meta = result.meta
    assert meta.fallback is not None
    assert meta.fallback.reason is FallbackReason.INVALID_INPUT
    assert meta.fallback.detail.startswith("step 1: calculator: ")
    assert (meta.raw_output, meta.tokens_in, meta.tokens_out) == (output, 120, 30)


@pytest.mark.parametrize("strategy", ["pattern-first", "clause-merge"])
async def test_a_confident_pattern_is_used_without_any_request_and_is_no_fallback(
    fake: FakeOpenAI, strategy: HybridStrategy
) -> None:
    pattern = ScriptedPattern(confident=True)

    result = await make_hybrid(fake, strategy=strategy, pattern=pattern).plan("list todos")

    assert fake.requests == []
    assert result.plan == PATTERN_PLAN
    meta = result.meta
    assert meta.fallback is None  # nothing fell back: the model was never asked
    assert (meta.strategy, meta.model, meta.model_calls, meta.tokens_in, meta.raw_output) == (
        strategy, None, 0, 0, None,
    )  # fmt: skip
    assert meta.decision == "rules served every clause; model not asked"


async def test_pattern_first_asks_the_llm_when_the_pattern_is_unsure(fake: FakeOpenAI) -> None:
    fake.enqueue(LLM_OUTPUT)
    pattern = ScriptedPattern(confident=False)

    result = await make_hybrid(fake, strategy="pattern-first", pattern=pattern).plan("hmm")

    assert len(fake.requests) == 1
    assert result.plan == LLM_PLAN
    assert result.meta.fallback is None
    assert pattern.matched == 1


async def test_llm_first_does_not_consult_the_pattern_when_the_llm_succeeds(
    fake: FakeOpenAI,
) -> None:
    fake.enqueue(LLM_OUTPUT)
    pattern = ScriptedPattern(confident=True)

    result = await make_hybrid(fake, pattern=pattern).plan("what is six times seven")

    assert result.plan == LLM_PLAN
    assert pattern.matched == 0


async def test_with_the_real_pattern_planner_the_fallback_is_its_plan(fake: FakeOpenAI) -> None:
    fake.enqueue(error_response(503), error_response(503))
    pattern = PatternPlanner()
    prompt = "add buy milk to my todo list"

    result = await make_hybrid(fake, pattern=pattern).plan(prompt)

    assert result.plan == pattern.match(prompt).plan
    assert result.meta.fallback is not None
    assert result.meta.fallback.reason is FallbackReason.MODEL_ERROR


async def test_planners_satisfy_the_protocols(fake: FakeOpenAI) -> None:
    hybrid = make_hybrid(fake, pattern=PatternPlanner())

    assert isinstance(hybrid, Planner)
    assert isinstance(hybrid.llm, Planner)
    assert isinstance(PatternPlanner(), PatternLike)
    assert isinstance(ScriptedPattern(), PatternLike)
    assert hybrid.name == "hybrid"


async def test_hybrid_result_serialises(fake: FakeOpenAI) -> None:
    fake.enqueue(httpx.ReadTimeout, httpx.ReadTimeout)

    result = await make_hybrid(fake).plan("x")

    dumped = json.loads(result.model_dump_json())
    assert dumped["meta"]["fallback"]["reason"] == "timeout"


CALC = PlanStep(tool="calculator", input={"expression": "6 * 7"})
ADD_MILK = PlanStep(tool="todo_store", input={"action": "add", "title": "buy milk"})


async def test_clause_merge_asks_the_model_only_about_the_clauses_the_rules_missed(
    fake: FakeOpenAI,
) -> None:
    fake.enqueue(plan_json(("todo_store", {"action": "add", "title": "buy milk"})))
    pattern = ScriptedPattern(
        Plan(steps=[CALC]),
        clauses=[
            ScriptedClause("calculate 6 * 7", [CALC]),
            ScriptedClause("jot buy milk down on my list", None),
        ],
    )

    prompt = "calculate 6 * 7 and jot buy milk down on my list"
    result = await make_hybrid(fake, strategy="clause-merge", pattern=pattern).plan(prompt)

    assert result.plan == Plan(steps=[CALC, ADD_MILK])  # in clause order
    assert [body["messages"][-1]["content"] for body in fake.bodies] == [
        "jot buy milk down on my list"
    ]
    meta = result.meta
    assert (meta.fallback, meta.model_calls) == (None, 1)
    assert meta.decision == "per clause: rules; model (1 step(s))"


async def test_clause_merge_refuses_a_step_its_clause_gives_no_cue_for(fake: FakeOpenAI) -> None:
    fake.enqueue(plan_json(("calculator", {"expression": "3"})))
    clause = "remind me about the 3 meetings"  # a todo cue, no arithmetic one
    pattern = ScriptedPattern(Plan(steps=[]), clauses=[ScriptedClause(clause, None)])

    result = await make_hybrid(fake, strategy="clause-merge", pattern=pattern).plan(clause)

    assert result.plan.abstains
    meta = result.meta
    assert meta.fallback is not None
    assert meta.fallback.reason is FallbackReason.UNSUPPORTED_STEP
    assert "calculator" in meta.fallback.detail
    assert meta.model_calls == 1


async def test_a_verdict_whose_every_step_was_refused_is_recorded_as_not_used(
    fake: FakeOpenAI,
) -> None:
    refused = ("calculator", {"expression": "3"})
    fake.enqueue(plan_json(refused))
    clause = "remind me about the 3 meetings"
    pattern = ScriptedPattern(Plan(steps=[]), clauses=[ScriptedClause(clause, None)])
    recorder = Recorder()

    hybrid = make_hybrid(fake, strategy="clause-merge", pattern=pattern)
    await hybrid.plan_recorded(clause, recorder)

    (verdict,) = [e for e in recorder.events if isinstance(e, ModelVerdictEvent)]
    assert (verdict.asked, verdict.used) == (clause, False)
    assert verdict.refused == verdict.steps == [PlanStep(tool=refused[0], input=refused[1])]
    assert verdict.fallback is not None
    assert verdict.fallback.reason is FallbackReason.UNSUPPORTED_STEP


@pytest.mark.parametrize(
    "prompt", ["what is the capital of France?", "tell me a joke", "hi", "who won in 1998"]
)
async def test_clause_merge_abstains_without_asking_when_nothing_asks_for_a_tool(
    fake: FakeOpenAI, prompt: str
) -> None:
    result = await make_hybrid(fake, strategy="clause-merge", pattern=PatternPlanner()).plan(prompt)

    assert fake.requests == []
    assert result.plan.abstains
    assert (result.meta.fallback, result.meta.model_calls) == (None, 0)
    assert result.meta.decision == "no cue for any tool in the prompt; model not asked"


async def test_clause_merge_asks_about_a_whole_prompt_the_rules_found_no_clause_in(
    fake: FakeOpenAI,
) -> None:
    fake.enqueue(LLM_OUTPUT)
    pattern = ScriptedPattern(Plan(steps=[]), clauses=[])

    result = await make_hybrid(fake, strategy="clause-merge", pattern=pattern).plan(
        "multiply six by seven"
    )

    assert result.plan == LLM_PLAN
    assert fake.bodies[0]["messages"][-1]["content"] == "multiply six by seven"


async def test_clause_merge_refuses_a_todo_step_whose_action_the_clause_names_no_verb_of(
    fake: FakeOpenAI,
) -> None:
    fake.enqueue(plan_json(("todo_store", {"action": "add", "title": "my agenda for today"})))
    clause = "what's on my agenda for today"  # the list and a verb that shows it: no add
    pattern = ScriptedPattern(Plan(steps=[]), clauses=[ScriptedClause(clause, None)])

    result = await make_hybrid(fake, strategy="clause-merge", pattern=pattern).plan(clause)

    assert result.plan.abstains
    assert result.meta.fallback is not None
    assert result.meta.fallback.reason is FallbackReason.UNSUPPORTED_STEP
    assert "todo_store.add" in result.meta.fallback.detail


@pytest.mark.parametrize(
    "prompt",
    [
        "show me a poem about rain",
        "what percent of the moon is lit tonight",
        "read me a short story",
        "my tasks at work keep piling up",
        "put on some music",
        "set the brightness to 40 percent",
        "I saw 3 deer on the way home",
    ],
)
async def test_clause_merge_does_not_ask_about_cue_words_that_make_no_request(
    fake: FakeOpenAI, prompt: str
) -> None:
    result = await make_hybrid(fake, strategy="clause-merge", pattern=PatternPlanner()).plan(prompt)

    assert fake.requests == []
    assert result.plan.abstains
    assert result.meta.model_calls == 0


async def test_clause_merge_asks_about_a_pronoun_that_points_at_the_list_named_before(
    fake: FakeOpenAI,
) -> None:
    fake.enqueue(plan_json(("todo_store", {"action": "add", "title": "eggs"})))
    pattern = ScriptedPattern(
        Plan(steps=[ADD_MILK]),
        clauses=[
            ScriptedClause("put buy milk on my list", [ADD_MILK]),
            ScriptedClause("put eggs on it too", None),
        ],
    )

    prompt = "put buy milk on my list, then put eggs on it too"
    result = await make_hybrid(fake, strategy="clause-merge", pattern=pattern).plan(prompt)

    eggs = PlanStep(tool="todo_store", input={"action": "add", "title": "eggs"})
    assert result.plan == Plan(steps=[ADD_MILK, eggs])
    assert result.meta.model_calls == 1
