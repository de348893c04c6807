"""What the service refuses, and how: body size, blank prompts, echoed ids, timeouts."""

from __future__ import annotations

import asyncio
import re
import socket
import sys
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from pydantic import ValidationError

from crane_bench.runtime.errors import ConfigError
from crane_bench.runtime.service import create_app
from crane_bench.runtime.service.api_runs import ID_ECHO_LIMIT
from crane_bench.runtime.service.schemas import CreateRunRequest
from crane_bench.runtime.service.settings import ServiceSettings
from crane_bench.runtime.settings import Settings
from tests.runtime.service.conftest import LiveServer, asgi_client, real_app, script_app

LIMIT = 4096
HOSTED = "http://127.0.0.1:9/v1"


def body_of(size: int) -> bytes:
    """A JSON run request of exactly `size` bytes."""
    head, tail = b'{"prompt": "', b'"}'
    return head + b"a" * (size - len(head) - len(tail)) + tail


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    """A body without a length: httpx sends it chunked."""
    for part in parts:
        yield part


# --- body size ------------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_body_over_the_limit_is_413(chunked: bool) -> None:
    body = body_of(LIMIT + 1)
    content = chunks(body[: LIMIT // 2], body[LIMIT // 2 :]) if chunked else body
    async with asgi_client(script_app(max_body_bytes=LIMIT)) as client:
        answer = await client.post(
            "/api/v1/runs", content=content, headers={"content-type": "application/json"}
        )
    assert answer.status_code == 413
    assert answer.json() == {"detail": f"request body too large (limit {LIMIT} bytes)"}


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_body_within_the_limit_is_served(chunked: bool) -> None:
    body = b'{"prompt": "echo hi"}'
    content = chunks(body[:5], body[5:]) if chunked else body
    async with asgi_client(script_app(max_body_bytes=LIMIT)) as client:
        answer = await client.post(
            "/api/v1/runs?wait=true",
            content=content,
            headers={"content-type": "application/json"},
        )
    assert answer.status_code == 201, answer.text
    assert answer.json()["output"] == "hi"


@pytest.mark.integration
def test_a_declared_length_over_the_limit_is_refused_unread(
    live_server: Callable[..., LiveServer],
) -> None:
    # 100 MB announced, not one byte sent: only a server that does not wait for the
    # body can answer at all.
    with live_server(script_app(max_body_bytes=LIMIT)) as server:
        host, port = server.sock.getsockname()
        with socket.create_connection((host, port), timeout=20) as sock:
            sock.sendall(
                b"POST /api/v1/runs HTTP/1.1\r\nHost: test\r\n"
                b"Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n"
            )
            head = sock.recv(4096).decode("latin-1")
    assert head.startswith("HTTP/1.1 413 ")


@pytest.mark.integration
def test_a_chunked_body_over_the_limit_is_413_over_a_socket(
    live_server: Callable[..., LiveServer],
) -> None:
    body = body_of(LIMIT + 100)
    with live_server(script_app(max_body_bytes=LIMIT)) as server:
        answer = httpx.post(
            f"{server.url}/api/v1/runs",
            content=iter([body[:1000], body[1000:]]),
            headers={"content-type": "application/json"},
            timeout=20,
        )
    assert answer.status_code == 413


def test_the_limit_is_documented_for_run_submissions() -> None:
    responses = real_app().openapi()["paths"]["/api/v1/runs"]["post"]["responses"]
    assert "413" in responses


# --- ?wait=true against a store that evicts --------------------------------------------


async def test_every_waiter_gets_its_finished_run_however_small_the_store() -> None:
    prompts = [f"echo {i}" for i in range(200)]
    async with asgi_client(script_app(max_finished_runs=1)) as client:
        answers = await asyncio.gather(
            *(client.post("/api/v1/runs?wait=true", json={"prompt": p}) for p in prompts)
        )
    for prompt, answer in zip(prompts, answers, strict=True):
        assert answer.status_code == 201
        record = answer.json()
        assert (record["status"], record["output"]) == ("completed", prompt.split()[1])


# --- blank prompts ---------------------------------------------------------------------

# Every character some engine calls whitespace: Python's, Rust's (pydantic) and
# ECMAScript's (an OpenAPI client's) `\s`.
WHITESPACE = sorted(
    {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()} | {"\ufeff", "\x85"}
)


def server_accepts(prompt: str) -> bool:
    try:
        CreateRunRequest(prompt=prompt)
    except ValidationError:
        return False
    return True


def test_the_schema_pattern_uses_no_engine_dependent_class() -> None:
    pattern = CreateRunRequest.model_json_schema()["properties"]["prompt"]["pattern"]
    assert not re.search(r"\\[sSwWdDbB]", pattern), pattern


@pytest.mark.parametrize("char", WHITESPACE, ids=lambda c: f"U+{ord(c):04X}")
def test_schema_and_server_both_refuse_a_blank_prompt(char: str) -> None:
    pattern = CreateRunRequest.model_json_schema()["properties"]["prompt"]["pattern"]
    for prompt in (char, f" {char} ", char * 3):
        assert not server_accepts(prompt)
        assert re.search(pattern, prompt) is None


def test_schema_and_server_agree_on_every_single_character() -> None:
    pattern = re.compile(CreateRunRequest.model_json_schema()["properties"]["prompt"]["pattern"])
    for code in [*range(0x3100), 0xFEFF, 0x1F600]:
        char = chr(code)
        assert server_accepts(char) == (pattern.search(char) is not None), f"U+{code:04X}"


# --- echoed ids ------------------------------------------------------------------------


async def test_an_unknown_long_id_is_not_echoed_in_full() -> None:
    run_id = "x" * 10_000
    async with asgi_client(script_app()) as client:
        answer = await client.get(f"/api/v1/runs/{run_id}")
    assert answer.status_code == 404
    detail = answer.json()["detail"]
    assert "x" * ID_ECHO_LIMIT + "..." in detail
    assert len(detail) < ID_ECHO_LIMIT + 200


async def test_a_short_unknown_id_is_echoed_whole() -> None:
    async with asgi_client(script_app()) as client:
        answer = await client.get("/api/v1/runs/nope")
    assert answer.json()["detail"].startswith("no run 'nope': unknown id")


# --- run timeout against the model's timeout x attempts --------------------------------


@pytest.mark.parametrize("planner", ["llm", "hybrid"])
def test_a_run_timeout_that_would_cut_off_the_fallback_is_refused(planner: str) -> None:
    settings = Settings(
        _env_file=None,
        planner=planner,
        openai_base_url=HOSTED,
        run_timeout_s=30,
        llm_timeout_s=20,
        llm_max_retries=2,
    )
    with pytest.raises(ConfigError, match=r"RUN_TIMEOUT_S=30 is too short .* 60\.6 s"):
        create_app(settings, ServiceSettings(_env_file=None))


def test_the_default_timeouts_are_accepted() -> None:
    create_app(
        Settings(_env_file=None, planner="hybrid", openai_base_url=HOSTED),
        ServiceSettings(_env_file=None),
    )


def test_a_short_run_timeout_is_fine_without_a_model() -> None:
    create_app(
        Settings(_env_file=None, planner="pattern", run_timeout_s=1, llm_timeout_s=20),
        ServiceSettings(_env_file=None),
    )
