"""What serves an endpoint is asked, not guessed from its address."""

from __future__ import annotations

import logging

import httpx
import pytest

from crane_bench.runtime.local_llm import LLMEndpoint
from crane_bench.runtime.local_llm.server_kind import kind_from_models, probe_server_kind, traits
from crane_bench.runtime.settings import ServerKind

KEY = "sk-crane-FAKE-probe-3b9d"


def models(owner: object) -> dict[str, object]:
    return {"object": "list", "data": [{"id": "m", "object": "model", "owned_by": owner}]}


@pytest.mark.parametrize(
    ("owner", "kind"),
    [
        ("me", "llama-cpp-python"),
        ("llamacpp", "llama-server"),
        ("vllm", "vllm"),
        ("library", "ollama"),
        ("system", "openai"),
        ("openai", "openai"),
        ("someone-else", "unknown"),
        (None, "unknown"),
    ],
)
def test_the_models_list_says_what_the_server_is(owner: object, kind: ServerKind) -> None:
    assert kind_from_models(models(owner)) == kind


@pytest.mark.parametrize("payload", [None, [], {"data": "x"}, {"data": [1, "a"]}, {}])
def test_an_odd_models_list_is_unknown(payload: object) -> None:
    assert kind_from_models(payload) == "unknown"


async def test_the_probe_sends_the_key_and_reads_the_answer() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=models("me"))

    kind = await probe_server_kind(
        "http://127.0.0.1:9/v1/", KEY, transport=httpx.MockTransport(handler)
    )
    assert kind == "llama-cpp-python"
    assert [(r.method, r.url.path) for r in seen] == [("GET", "/v1/models")]
    assert seen[0].headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(404, json={"error": "no"}),
        httpx.Response(200, content=b"not json"),
        httpx.Response(200, content=b'{"data": [' + b"9" * 5000 + b"]}"),
        httpx.Response(200, content=b"[" * 200_000 + b"]" * 200_000),
        httpx.ConnectError,
        httpx.ReadTimeout,
    ],
)
async def test_a_server_that_cannot_tell_is_unknown_and_nothing_leaks(
    answer: httpx.Response | type[httpx.TransportError], caplog: pytest.LogCaptureFixture
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, httpx.Response):
            return answer
        raise answer("down", request=request)

    caplog.set_level(logging.DEBUG)
    kind = await probe_server_kind(
        "http://127.0.0.1:9/v1", KEY, transport=httpx.MockTransport(handler)
    )
    assert kind == "unknown"
    assert KEY not in caplog.text


def test_what_follows_from_each_kind() -> None:
    cpp = traits("llama-cpp-python")
    assert (cpp.output_format, cpp.grammar, cpp.one_request_at_a_time) == ("llama_cpp", True, True)
    server = traits("llama-server")
    assert (server.output_format, server.grammar, server.one_request_at_a_time) == (
        "json_schema", True, False,
    )  # fmt: skip
    assert not traits("ollama").grammar
    assert traits("ollama").self_hosted
    assert not traits("openai").self_hosted
    assert traits("unknown").output_format == "json_schema"


@pytest.mark.llm
@pytest.mark.integration
async def test_the_real_local_server_says_what_it_is(
    local_llm_endpoint: LLMEndpoint,
) -> None:
    # What `crane-bench llm serve` reached by URL is found to be: the decomposed planner
    # and its way of scheduling follow, as for a server the run started itself.
    assert local_llm_endpoint.server in ("llama-server", "llama-cpp-python")
    assert await probe_server_kind(local_llm_endpoint.base_url, None) == local_llm_endpoint.server
