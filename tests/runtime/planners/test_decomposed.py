"""The decomposed LLM planner against a scripted server speaking real completion JSON."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from crane_bench.runtime.errors import (
    InvalidPlanError,
    LLMResponseError,
    LLMTimeoutError,
    LLMUnavailableError,
)
from crane_bench.runtime.local_llm.catalog import ModelKind
from crane_bench.runtime.models import Plan, PlanStep
from crane_bench.runtime.planners.base import Planner
from crane_bench.runtime.planners.decomposed import (
    INSTRUCTIONS,
    DecomposedLLMPlanner,
    DecomposedOptions,
    split_clauses,
)
from crane_bench.runtime.planners.llm import LLMPlannerConfig
from tests.runtime.planners.fake_llama import FakeLlama as FakeLlamaServer
from tests.runtime.planners.fake_llama import completion_body
from tests.runtime.planners.fake_openai import FAKE_KEY, SleepRecorder, error_response


@pytest.fixture
async def server() -> AsyncIterator[FakeLlamaServer]:
    fake = FakeLlamaServer()
    yield fake
    await fake.aclose()


def make_planner(
    server: FakeLlamaServer,
    *,
    kind: ModelKind = "completion",
    options: DecomposedOptions | None = None,
    **config: Any,
) -> DecomposedLLMPlanner:
    return DecomposedLLMPlanner(
        server.client(),
        model="tiny",
        kind=kind,
        config=LLMPlannerConfig(local=True, **config),
        options=options or DecomposedOptions(),
        sleep=SleepRecorder(),
    )


# --- splitting -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "clauses"),
    [
        ("add milk and eggs to my list", ["add milk and eggs to my list"]),
        ("add milk and then show my list", ["add milk", "show my list"]),
        ("please calculate 2 + 2; delete task 3. thanks!", ["calculate 2 + 2", "delete task 3"]),
        ("thanks!", []),
    ],
)
def test_split_cuts_only_between_requests(prompt: str, clauses: list[str]) -> None:
    openers = frozenset({"add", "show", "calculate", "delete"})
    assert split_clauses(prompt, openers) == clauses


# --- planning ------------------------------------------------------------------------


async def test_one_clause_becomes_one_step_with_metadata(server: FakeLlamaServer) -> None:
    server.enqueue(" yes\ncalculator\nExpression: 2 + 2\n")
    planner = make_planner(server)

    result = await planner.plan("calculate 2 + 2")

    assert isinstance(planner, Planner)
    assert result.plan == Plan(steps=[PlanStep(tool="calculator", input={"expression": "2 + 2"})])
    meta = result.meta
    assert (meta.planner, meta.model, meta.tokens_in, meta.tokens_out) == ("llm", "tiny", 100, 7)
    assert meta.cost_usd == 0.0
    assert meta.raw_output == "yes\ncalculator\nExpression: 2 + 2"
    assert meta.latency_ms > 0


async def test_each_clause_is_one_call_in_order_and_none_adds_no_step(
    server: FakeLlamaServer,
) -> None:
    server.enqueue(
        " yes\ntodo_add\nTitle: buy milk\n",
        " no\n",
        " yes\ntodo_complete\nId: 3\n",
        " yes\ntodo_list\n",
    )
    # Every clause goes to the model only when labels are not gated by cues.
    planner = make_planner(server, options=DecomposedOptions(cue_labels=False))

    result = await planner.plan("add buy milk, then tell me a joke; mark 3 done and show my list")

    assert result.plan.steps == [
        PlanStep(tool="todo_store", input={"action": "add", "title": "buy milk"}),
        PlanStep(tool="todo_store", input={"action": "complete", "id": 3}),
        PlanStep(tool="todo_store", input={"action": "list"}),
    ]
    assert (result.meta.tokens_in, result.meta.tokens_out) == (400, 28)
    assert result.meta.raw_output is not None
    assert result.meta.raw_output.split("\n\n")[1] == "no"


async def test_a_clause_with_no_cue_is_answered_none_without_a_call(
    server: FakeLlamaServer,
) -> None:
    server.enqueue(" yes\ntodo_add\nTitle: buy milk\n", " yes\ntodo_list\n")
    planner = make_planner(server)

    result = await planner.plan("add buy milk, then tell me a joke; and show my list")

    assert result.plan.steps == [
        PlanStep(tool="todo_store", input={"action": "add", "title": "buy milk"}),
        PlanStep(tool="todo_store", input={"action": "list"}),
    ]
    assert result.meta.model_calls == 2
    assert len(server.requests) == 2


async def test_the_grammar_offers_only_the_labels_the_clause_cues(
    server: FakeLlamaServer,
) -> None:
    server.enqueue(" no\n")
    await make_planner(server).plan("show me my todo list")
    grammar = server.bodies[0]["grammar"]
    assert "todo_list" in grammar
    assert "calculator" not in grammar
    assert "todo_add" not in grammar


async def test_update_reads_id_and_title(server: FakeLlamaServer) -> None:
    server.enqueue(" yes\ntodo_update\nId: 2\nTitle: pay rent\n")
    result = await make_planner(server).plan("rename 2 to pay rent")
    assert result.plan.steps == [
        PlanStep(tool="todo_store", input={"action": "update", "id": 2, "title": "pay rent"})
    ]


async def test_a_prompt_of_fillers_makes_no_call(server: FakeLlamaServer) -> None:
    result = await make_planner(server).plan("thanks!")
    assert result.plan.abstains
    assert server.requests == []
    assert result.meta.raw_output is None


async def test_request_is_constrained_repeatable_and_shares_a_prefix(
    server: FakeLlamaServer,
) -> None:
    server.enqueue(" yes\ntodo_delete\nId: 4\n", " yes\ntodo_delete\nId: 9\n")
    planner = make_planner(server, temperature=0.0, seed=11)

    await planner.plan("delete task 4")
    await planner.plan("delete task 9")

    first, second = server.bodies
    assert first["temperature"] == 0.0
    assert first["seed"] == 11
    assert first["repeat_penalty"] == 1.0
    assert '"4"' in first["grammar"]
    assert '"9"' not in first["grammar"]  # ids come from the clause only
    assert first["prompt"].startswith(INSTRUCTIONS)
    assert first["prompt"].endswith("Request: delete task 4\nAnswer:")
    assert second["prompt"].endswith("Request: delete task 9\nAnswer:")


async def test_a_clause_without_numbers_is_offered_no_id_label(server: FakeLlamaServer) -> None:
    server.enqueue(" no\n")
    await make_planner(server, options=DecomposedOptions(cue_labels=False)).plan(
        "delete all my todos"
    )
    grammar = server.bodies[0]["grammar"]
    assert "todo_delete" not in grammar
    assert "todo_add" in grammar


async def test_chat_models_get_the_examples_as_turns(server: FakeLlamaServer) -> None:
    server.enqueue("yes\ntodo_list")
    result = await make_planner(server, kind="chat").plan("show my todos")

    assert result.plan.steps == [PlanStep(tool="todo_store", input={"action": "list"})]
    body = server.bodies[0]
    assert server.requests[0].url.path.endswith("/chat/completions")
    roles = [message["role"] for message in body["messages"]]
    assert roles[0] == "system"
    assert roles[-1] == "user"
    assert body["messages"][-1]["content"] == "show my todos"
    assert set(roles[1:-1]) == {"user", "assistant"}
    assert (result.meta.tokens_in, result.meta.tokens_out) == (90, 5)


# --- failures ------------------------------------------------------------------------


async def test_cut_off_answer_is_invalid_with_meta(server: FakeLlamaServer) -> None:
    server.enqueue(
        httpx.Response(
            200,
            json=completion_body(" yes\ncalculator\nExpression: 1 + 1 + 1", finish_reason="length"),
        )
    )
    with pytest.raises(InvalidPlanError, match="cut off") as caught:
        await make_planner(server).plan("what is 1 + 1")
    assert caught.value.reason == "invalid_json"
    assert caught.value.meta is not None
    assert caught.value.meta.tokens_out == 7


async def test_malformed_answer_is_invalid(server: FakeLlamaServer) -> None:
    server.enqueue(" frobnicate\n")
    with pytest.raises(InvalidPlanError, match="not an answer") as caught:
        await make_planner(server).plan("what is 1 + 1")
    assert caught.value.reason == "schema"


async def test_transient_errors_are_retried_then_mapped(server: FakeLlamaServer) -> None:
    server.enqueue(error_response(503), " yes\ntodo_list\n")
    result = await make_planner(server, max_retries=1).plan("show my todos")
    assert result.plan.steps[0].input == {"action": "list"}
    assert len(server.requests) == 2

    server.enqueue(httpx.ConnectError, httpx.ConnectError)
    with pytest.raises(LLMUnavailableError) as caught:
        await make_planner(server, max_retries=1).plan("show my todos")
    assert caught.value.meta is not None


async def test_timeout_and_status_errors_keep_the_key_out(server: FakeLlamaServer) -> None:
    server.enqueue(httpx.ReadTimeout)
    with pytest.raises(LLMTimeoutError):
        await make_planner(server, max_retries=0).plan("show my todos")

    server.enqueue(error_response(400, f"bad key {FAKE_KEY}"))
    with pytest.raises(LLMResponseError, match="HTTP 400") as caught:
        await make_planner(server).plan("show my todos")
    assert FAKE_KEY not in str(caught.value)


async def test_a_body_that_is_not_a_completion_is_a_response_error(
    server: FakeLlamaServer,
) -> None:
    server.enqueue(
        " yes\ntodo_list\n",
        httpx.Response(200, json={"object": "text_completion", "choices": []}),
    )
    with pytest.raises(LLMResponseError, match="not a completion") as caught:
        await make_planner(server).plan("show my todos and then add milk")
    assert caught.value.meta is not None
    assert caught.value.meta.tokens_in == 100  # the first call still counts
