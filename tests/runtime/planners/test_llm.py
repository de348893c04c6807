"""The LLM planner against a scripted OpenAI-compatible server (HTTP level)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import openai
import pytest

from crane_bench.runtime.errors import (
    InvalidPlanError,
    LLMResponseError,
    LLMTimeoutError,
    LLMUnavailableError,
    PlannerError,
)
from crane_bench.runtime.models import Plan, PlanStep
from crane_bench.runtime.planners.base import Planner
from crane_bench.runtime.planners.llm import LLMPlanner, LLMPlannerConfig, parse_plan_text, redact
from crane_bench.runtime.settings import Settings
from crane_bench.runtime.tools import default_tools
from tests.runtime.planners.fake_openai import (
    FAKE_KEY,
    FakeOpenAI,
    SleepRecorder,
    chat_completion,
    error_response,
    plan_json,
)

TOOLS = default_tools().describe()
ADD_PLAN = plan_json(("calculator", {"expression": "2 + 2"}))


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    server = FakeOpenAI()
    yield server
    await server.aclose()


def make_planner(
    fake: FakeOpenAI,
    *,
    model: str = "gpt-4o-mini",
    base_url: str = "https://llm.example.test/v1",
    sleep: SleepRecorder | None = None,
    **config: Any,
) -> LLMPlanner:
    return LLMPlanner(
        fake.client(base_url=base_url),
        model=model,
        tools=TOOLS,
        config=LLMPlannerConfig(**config),
        sleep=sleep or SleepRecorder(),
    )


def assert_no_key(exc: PlannerError) -> None:
    assert FAKE_KEY not in str(exc)
    assert exc.meta is not None
    assert FAKE_KEY not in exc.meta.model_dump_json()


# --- success -------------------------------------------------------------------------


async def test_valid_plan_is_parsed_with_its_metadata(fake: FakeOpenAI) -> None:
    fake.enqueue(ADD_PLAN)
    planner = make_planner(fake)

    result = await planner.plan("what is two plus two")

    assert result.plan == Plan(steps=[PlanStep(tool="calculator", input={"expression": "2 + 2"})])
    meta = result.meta
    assert (meta.planner, meta.model) == ("llm", "gpt-4o-mini")
    assert (meta.tokens_in, meta.tokens_out) == (120, 30)
    assert meta.raw_output == ADD_PLAN
    assert meta.latency_ms > 0
    assert meta.cost_usd == pytest.approx((120 * 0.15 + 30 * 0.60) / 1_000_000)
    assert meta.fallback is None
    assert FAKE_KEY not in meta.model_dump_json()
    # The key did go out, as a header: the absence above is not vacuous.
    assert fake.requests[0].headers["authorization"] == f"Bearer {FAKE_KEY}"


async def test_request_carries_prompt_sampling_and_timeout(fake: FakeOpenAI) -> None:
    fake.enqueue(ADD_PLAN)
    planner = make_planner(fake, temperature=0.3, seed=42, max_tokens=128, timeout_s=7.5)

    await planner.plan("what is two plus two")

    body = fake.bodies[0]
    assert body["model"] == "gpt-4o-mini"
    assert body["temperature"] == 0.3
    assert body["seed"] == 42
    assert body["max_tokens"] == 128
    system, user = body["messages"]
    assert system["role"] == "system"
    assert "calculator" in system["content"]
    assert "todo_store" in system["content"]
    assert user == {"role": "user", "content": "what is two plus two"}
    assert fake.requests[0].extensions["timeout"]["read"] == 7.5


async def test_temperature_and_seed_are_sent_on_every_call(fake: FakeOpenAI) -> None:
    fake.enqueue(ADD_PLAN, error_response(500), ADD_PLAN)
    planner = make_planner(fake)

    await planner.plan("first")
    await planner.plan("second")

    assert len(fake.bodies) == 3
    assert all(body["temperature"] == 0.0 and body["seed"] == 7 for body in fake.bodies)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("json_schema", {"type": "json_schema", "name": "plan", "strict": False}),
        ("llama_cpp", {"type": "json_object", "repeat_penalty": 1.0}),
        ("json_object", {"type": "json_object"}),
        ("none", None),
    ],
)
async def test_request_carries_the_response_format_of_each_mode(
    fake: FakeOpenAI, mode: str, expected: dict[str, Any] | None
) -> None:
    fake.enqueue(ADD_PLAN)
    planner = make_planner(fake, response_format=mode)

    await planner.plan("what is two plus two")

    body = fake.bodies[0]
    if expected is None:
        assert "response_format" not in body
        return
    response_format = body["response_format"]
    assert response_format["type"] == expected["type"]
    if mode == "json_schema":
        spec = response_format["json_schema"]
        assert spec["name"] == "plan"
        assert spec["strict"] is False
        assert spec["schema"] == planner.schema
    elif mode == "llama_cpp":
        assert response_format["schema"] == planner.schema
        assert body["repeat_penalty"] == 1.0
    else:
        assert set(response_format) == {"type"}
        assert "repeat_penalty" not in body


@pytest.mark.parametrize(
    ("server", "expected_type"),
    [
        ("llama-cpp-python", "json_object"),
        ("ollama", "json_schema"),  # on localhost, but it speaks structured outputs
        ("openai", "json_schema"),
    ],
)
async def test_auto_format_follows_the_server_not_the_address(
    fake: FakeOpenAI, server: Any, expected_type: str
) -> None:
    fake.enqueue(ADD_PLAN)
    settings = Settings(_env_file=None, llm_response_format="auto")
    config = LLMPlannerConfig.from_settings(settings, server=server)
    planner = LLMPlanner(
        fake.client(base_url="http://127.0.0.1:11434/v1"),
        model="m",
        tools=TOOLS,
        config=config,
        sleep=SleepRecorder(),
    )

    await planner.plan("what is two plus two")

    assert fake.bodies[0]["response_format"]["type"] == expected_type


async def test_abstain_plan_is_a_valid_answer(fake: FakeOpenAI) -> None:
    fake.enqueue('{"steps": []}')

    result = await make_planner(fake).plan("write me a poem")

    assert result.plan.abstains
    assert result.meta.raw_output == '{"steps": []}'


async def test_missing_usage_counts_zero_tokens(fake: FakeOpenAI) -> None:
    fake.enqueue(httpx.Response(200, json=chat_completion(ADD_PLAN, usage=False)))

    result = await make_planner(fake).plan("what is two plus two")

    assert (result.meta.tokens_in, result.meta.tokens_out, result.meta.cost_usd) == (0, 0, 0.0)


async def test_local_model_costs_nothing_and_unknown_model_is_recorded_as_zero(
    fake: FakeOpenAI,
) -> None:
    fake.enqueue(ADD_PLAN, ADD_PLAN)
    local = make_planner(fake, model="gpt-4o", local=True)
    unknown = make_planner(fake, model="someone/custom-model")

    assert (await local.plan("x")).meta.cost_usd == 0.0
    assert (await unknown.plan("x")).meta.cost_usd == 0.0


# --- retries and transport faults ----------------------------------------------------


async def test_server_errors_are_retried_with_backoff_then_succeed(fake: FakeOpenAI) -> None:
    fake.enqueue(error_response(500), error_response(503), ADD_PLAN)
    sleep = SleepRecorder()
    planner = make_planner(fake, sleep=sleep, max_retries=2, backoff_base_s=0.2)

    result = await planner.plan("what is two plus two")

    assert len(fake.requests) == 3
    assert sleep.waits == pytest.approx([0.2, 0.4])
    assert result.plan.steps[0].tool == "calculator"


async def test_rate_limit_is_retried(fake: FakeOpenAI) -> None:
    fake.enqueue(error_response(429, "slow down"), ADD_PLAN)

    result = await make_planner(fake).plan("what is two plus two")

    assert len(fake.requests) == 2
    assert not result.plan.abstains


async def test_persistent_server_error_is_a_response_error_after_retries(
    fake: FakeOpenAI,
) -> None:
    fake.enqueue(*[error_response(502)] * 3)
    sleep = SleepRecorder()

    with pytest.raises(LLMResponseError, match="HTTP 502") as caught:
        await make_planner(fake, sleep=sleep, max_retries=2).plan("x")

    assert len(fake.requests) == 3
    assert len(sleep.waits) == 2
    assert_no_key(caught.value)


@pytest.mark.parametrize("fault", [httpx.ConnectError, httpx.RemoteProtocolError])
async def test_refused_or_dropped_connection_is_unavailable_after_retries(
    fake: FakeOpenAI, fault: type[httpx.TransportError]
) -> None:
    fake.enqueue(*[fault] * 3)
    sleep = SleepRecorder()

    with pytest.raises(LLMUnavailableError, match=fault.__name__) as caught:
        await make_planner(fake, sleep=sleep, max_retries=2).plan("x")

    assert len(fake.requests) == 3
    assert sleep.waits == pytest.approx([0.2, 0.4])
    meta = caught.value.meta
    assert meta is not None
    assert (meta.planner, meta.model, meta.raw_output) == ("llm", "gpt-4o-mini", None)
    assert_no_key(caught.value)


async def test_timeout_is_retried_then_raised(fake: FakeOpenAI) -> None:
    fake.enqueue(*[httpx.ReadTimeout] * 2)

    with pytest.raises(LLMTimeoutError, match="did not answer within 3s") as caught:
        await make_planner(fake, max_retries=1, timeout_s=3).plan("x")

    assert len(fake.requests) == 2
    assert_no_key(caught.value)


async def test_timeout_then_success(fake: FakeOpenAI) -> None:
    fake.enqueue(httpx.ReadTimeout, ADD_PLAN)

    result = await make_planner(fake).plan("x")

    assert len(fake.requests) == 2
    assert not result.plan.abstains


@pytest.mark.parametrize("status", [400, 401, 404, 422])
async def test_client_errors_are_not_retried(fake: FakeOpenAI, status: int) -> None:
    fake.enqueue(error_response(status, "bad request"))
    sleep = SleepRecorder()

    with pytest.raises(LLMResponseError, match=f"HTTP {status}: bad request"):
        await make_planner(fake, sleep=sleep).plan("x")

    assert len(fake.requests) == 1
    assert sleep.waits == []


async def test_no_retries_when_max_retries_is_zero(fake: FakeOpenAI) -> None:
    fake.enqueue(error_response(500))

    with pytest.raises(LLMResponseError):
        await make_planner(fake, max_retries=0).plan("x")

    assert len(fake.requests) == 1


async def test_a_body_that_is_not_a_chat_completion_is_a_response_error(
    fake: FakeOpenAI,
) -> None:
    fake.enqueue(httpx.Response(200, text="<html>captive portal</html>"))

    with pytest.raises(LLMResponseError, match="not a chat completion"):
        await make_planner(fake).plan("x")


# --- invalid output --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "finish_reason", "reason"),
    [
        ("Sure! I would use the calculator.", "stop", "invalid_json"),
        ('{"steps": [{"tool": "calculator", "input": {"expr', "length", "invalid_json"),
        ("", "stop", "invalid_json"),
        ('{"plan": ["calculator"]}', "stop", "schema"),
        ('{"steps": [{"name": "calculator"}]}', "stop", "schema"),
        ('{"steps": "calculator"}', "stop", "schema"),
        ("42", "stop", "schema"),
    ],
)
async def test_output_that_is_not_a_plan_is_invalid_with_its_raw_output(
    fake: FakeOpenAI, content: str, finish_reason: str, reason: str
) -> None:
    fake.enqueue(httpx.Response(200, json=chat_completion(content, finish_reason=finish_reason)))

    with pytest.raises(InvalidPlanError) as caught:
        await make_planner(fake).plan("x")

    assert caught.value.reason == reason
    meta = caught.value.meta
    assert meta is not None
    assert meta.raw_output == content
    assert (meta.tokens_in, meta.tokens_out) == (120, 30)
    assert_no_key(caught.value)


async def test_truncation_is_invalid_even_when_the_prefix_parses(fake: FakeOpenAI) -> None:
    fake.enqueue(httpx.Response(200, json=chat_completion('{"steps": []}', finish_reason="length")))

    with pytest.raises(InvalidPlanError, match="cut off") as caught:
        await make_planner(fake).plan("x")

    assert caught.value.reason == "invalid_json"


async def test_null_content_is_invalid_json(fake: FakeOpenAI) -> None:
    fake.enqueue(httpx.Response(200, json=chat_completion(None)))

    with pytest.raises(InvalidPlanError, match="empty") as caught:
        await make_planner(fake).plan("x")

    assert caught.value.reason == "invalid_json"


def test_parse_accepts_a_bare_list_fences_and_control_characters() -> None:
    # A raw tab inside a JSON string, as llama.cpp lets through; json.loads(strict=True)
    # would refuse it.
    steps = '[{"tool": "todo_store", "input": {"action": "add", "title": "a\tb"}}]'
    expected = Plan(steps=[PlanStep(tool="todo_store", input={"action": "add", "title": "a\tb"})])

    assert parse_plan_text(steps) == expected
    assert parse_plan_text(f'{{"steps": {steps}}}') == expected
    assert parse_plan_text(f'```json\n{{"steps": {steps}}}\n```') == expected


# --- secrets -----------------------------------------------------------------------------


async def test_api_key_echoed_by_the_server_is_redacted(fake: FakeOpenAI) -> None:
    fake.enqueue(error_response(401, f"Incorrect API key provided: {FAKE_KEY}."))

    with pytest.raises(LLMResponseError, match="HTTP 401") as caught:
        await make_planner(fake).plan("x")

    assert "Incorrect API key provided" in str(caught.value)
    assert_no_key(caught.value)


def test_redact_masks_given_secrets_and_key_shapes() -> None:
    assert redact("key abcd1234 here", "abcd1234") == "key *** here"
    assert "sk-proj-abc" not in redact("used sk-proj-abcdef123456")
    assert redact("nothing secret", None, "") == "nothing secret"


# --- config and protocol ---------------------------------------------------------------------


def test_config_from_settings_resolves_auto_by_the_endpoint() -> None:
    settings = Settings(
        _env_file=None,
        llm_timeout_s=5,
        llm_max_retries=4,
        llm_temperature=0.5,
        llm_seed=11,
        llm_max_tokens=300,
        llm_response_format="auto",
    )

    local = LLMPlannerConfig.from_settings(settings, server="llama-cpp-python")
    hosted = LLMPlannerConfig.from_settings(settings, server="openai")
    ollama = LLMPlannerConfig.from_settings(settings, server="ollama")

    assert (local.timeout_s, local.max_retries, local.temperature, local.seed) == (5, 4, 0.5, 11)
    assert local.max_tokens == 300
    assert (local.response_format, local.local) == ("llama_cpp", True)
    assert (hosted.response_format, hosted.local) == ("json_schema", False)
    assert (ollama.response_format, ollama.local) == ("json_schema", True)


def test_config_is_frozen() -> None:
    config = LLMPlannerConfig()
    with pytest.raises(ValueError, match="frozen"):
        config.seed = 1  # type: ignore[misc]


async def test_llm_planner_is_a_planner(fake: FakeOpenAI) -> None:
    planner = make_planner(fake)
    assert isinstance(planner, Planner)
    assert planner.name == "llm"


# --- a real socket ----------------------------------------------------------------------------


@pytest.mark.integration
async def test_server_that_closes_the_connection_is_unavailable() -> None:
    accepted = 0

    async def slam(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(slam, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = openai.AsyncOpenAI(
        api_key=FAKE_KEY, base_url=f"http://127.0.0.1:{port}/v1", max_retries=0
    )
    planner = LLMPlanner(
        client,
        model="local",
        tools=TOOLS,
        config=LLMPlannerConfig(max_retries=1, timeout_s=5),
        sleep=SleepRecorder(),
    )
    try:
        async with server:
            with pytest.raises(LLMUnavailableError) as caught:
                await planner.plan("x")
    finally:
        await client.close()

    assert accepted == 2
    assert_no_key(caught.value)


@pytest.mark.integration
async def test_refused_connection_is_unavailable() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago, now closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = openai.AsyncOpenAI(
        api_key=FAKE_KEY, base_url=f"http://127.0.0.1:{port}/v1", max_retries=0
    )
    planner = LLMPlanner(
        client,
        model="local",
        tools=TOOLS,
        config=LLMPlannerConfig(max_retries=0, timeout_s=5),
    )
    try:
        with pytest.raises(LLMUnavailableError, match="unreachable"):
            await planner.plan("x")
    finally:
        await client.close()
