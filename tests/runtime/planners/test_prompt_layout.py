"""The decomposed planner's requests put what every call shares first (prefix cache)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from crane_bench.runtime.local_llm.catalog import ModelKind
from crane_bench.runtime.planners.decomposed import (
    INSTRUCTIONS,
    DecomposedLLMPlanner,
    DecomposedOptions,
    shared_examples,
)
from crane_bench.runtime.planners.examples import LABELS, load_bank
from crane_bench.runtime.planners.grammars import format_answer
from crane_bench.runtime.planners.llm import LLMPlannerConfig
from crane_bench.runtime.transcript import ExamplesEvent, ModelCallEvent, Recorder
from tests.runtime.planners.fake_llama import FakeLlama
from tests.runtime.planners.fake_openai import SleepRecorder

# Clauses that share no similar example: a calculation, a todo by id, a list request.
CLAUSES = ("calculate 12 times 7", "delete task 3", "show me my todo list")
ANSWERS = (" yes\ncalculator\nExpression: 12 * 7\n", " yes\ntodo_delete\nId: 3\n", " no\n")


@pytest.fixture
async def server() -> AsyncIterator[FakeLlama]:
    fake = FakeLlama()
    yield fake
    await fake.aclose()


SHARED = DecomposedOptions(shared_examples=1, similar_examples=3)


def planner(
    server: FakeLlama, kind: ModelKind, options: DecomposedOptions = SHARED
) -> DecomposedLLMPlanner:
    return DecomposedLLMPlanner(
        server.client(),
        model="tiny",
        kind=kind,
        config=LLMPlannerConfig(local=True),
        options=options,
        sleep=SleepRecorder(),
    )


def test_the_shared_examples_are_one_per_label_in_label_order() -> None:
    bank = load_bank()
    shared = shared_examples(bank, 1)
    assert [example.label for example in shared] == list(LABELS)
    for example in shared:
        assert example == next(e for e in bank if e.label == example.label)
    assert len(shared_examples(bank, 2)) == 2 * len(LABELS)
    assert shared_examples(bank, 0) == ()


async def test_completion_prompts_share_the_instructions_and_shared_examples(
    server: FakeLlama,
) -> None:
    subject = planner(server, "completion")
    for clause, answer in zip(CLAUSES, ANSWERS, strict=True):
        server.enqueue(answer)
        await subject.plan(clause)
    prompts: list[str] = [body["prompt"] for body in server.bodies]
    assert len(prompts) == len(CLAUSES)
    shared_text = "\n\n".join(
        [INSTRUCTIONS] + [f"Request: {e.text}\nAnswer: {format_answer(e)}" for e in subject.shared]
    )
    # Every prompt opens with the same instructions and shared examples; they differ
    # only after them, where each clause's own examples and the clause come.
    for prompt in prompts:
        assert prompt.startswith(shared_text + "\n\n")
    assert len({prompt[len(shared_text) :] for prompt in prompts}) == len(prompts)
    shared_share = len(shared_text) / max(len(p) for p in prompts)
    assert shared_share > 0.5, shared_share
    for prompt, clause in zip(prompts, CLAUSES, strict=True):
        assert prompt.endswith(f"Request: {clause}\nAnswer:")


async def test_chat_requests_share_the_leading_messages(server: FakeLlama) -> None:
    subject = planner(server, "chat")
    for clause, answer in zip(CLAUSES, ANSWERS, strict=True):
        server.enqueue(answer.strip())
        await subject.plan(clause)
    conversations: list[list[dict[str, Any]]] = [body["messages"] for body in server.bodies]
    lead = 1 + 2 * len(subject.shared)  # the system message, then each shared example
    first = conversations[0][:lead]
    assert first[0] == {"role": "system", "content": INSTRUCTIONS}
    assert [m["content"] for m in first[1::2]] == [e.text for e in subject.shared]
    for messages, clause in zip(conversations, CLAUSES, strict=True):
        assert messages[:lead] == first
        assert messages[-1] == {"role": "user", "content": clause}
        # Beyond the shared lead: at most the chosen examples (similar plus one `none`
        # contrast), as user/assistant pairs, then the clause.
        varying = messages[lead:-1]
        assert len(varying) <= 2 * (SHARED.similar_examples + 1)
        assert not {m["content"] for m in varying[::2]} & {e.text for e in subject.shared}


async def test_the_transcript_records_the_chosen_examples_and_the_shared_count(
    server: FakeLlama,
) -> None:
    subject = planner(server, "chat")
    server.enqueue(ANSWERS[0].strip())
    recorder = Recorder()
    await subject.plan_recorded(CLAUSES[0], recorder)
    examples = [e for e in recorder.events if isinstance(e, ExamplesEvent)]
    calls = [e for e in recorder.events if isinstance(e, ModelCallEvent)]
    assert len(examples) == 1
    assert examples[0].shared == len(subject.shared)
    assert 1 <= len(examples[0].examples) <= SHARED.similar_examples + 1
    assert len(calls) == 1
    sent = calls[0].messages
    assert sent is not None
    assert len(sent) == 1 + 2 * (len(subject.shared) + len(examples[0].examples)) + 1


async def test_by_default_the_instructions_are_the_shared_prefix(server: FakeLlama) -> None:
    subject = planner(server, "completion", DecomposedOptions())
    assert subject.shared == ()
    for clause, answer in zip(CLAUSES, ANSWERS, strict=True):
        server.enqueue(answer)
        await subject.plan(clause)
    prompts: list[str] = [body["prompt"] for body in server.bodies]
    for prompt, clause in zip(prompts, CLAUSES, strict=True):
        assert prompt.startswith(INSTRUCTIONS + "\n\nRequest: ")
        assert prompt.endswith(f"Request: {clause}\nAnswer:")
        # four similar examples (and a `none` contrast when none of them says no)
        assert 4 <= prompt.count("Request: ") - 1 <= 5
