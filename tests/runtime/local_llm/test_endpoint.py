from __future__ import annotations

import httpx
import psutil
import pytest
from pydantic import SecretStr

from crane_bench.runtime.errors import ConfigError
from crane_bench.runtime.local_llm import (
    DEFAULT_BASE_URL,
    LLMEndpoint,
    make_openai_client,
    open_endpoint,
    open_endpoint_sync,
)
from crane_bench.runtime.settings import Settings

KEY = "sk-test-secret-123"


def _settings(**overrides: object) -> Settings:
    values: dict[str, object] = {"openai_api_key": None, "openai_base_url": None}
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def _children() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True)}


# A local model name that cannot resolve: if a hosted setting were ignored and the local
# server were started, resolving it would raise.
NO_LOCAL = "no-such-local-model"


async def test_a_key_selects_the_hosted_endpoint_without_a_server() -> None:
    before = _children()
    settings = _settings(openai_api_key=KEY, llm_model="gpt-4o-mini", local_model=NO_LOCAL)

    async with open_endpoint(settings) as endpoint:
        assert _children() == before

    assert endpoint.base_url == DEFAULT_BASE_URL
    assert endpoint.api_key is not None
    assert endpoint.api_key.get_secret_value() == KEY
    assert (endpoint.model, endpoint.local, endpoint.kind) == ("gpt-4o-mini", False, "chat")


async def test_a_base_url_alone_selects_that_endpoint() -> None:
    settings = _settings(openai_base_url="http://10.0.0.5:8080/v1", local_model=NO_LOCAL)

    async with open_endpoint(settings) as endpoint:
        assert endpoint.base_url == "http://10.0.0.5:8080/v1"
        assert endpoint.api_key is None
        assert not endpoint.local


def test_the_sync_form_selects_the_same_way() -> None:
    settings = _settings(openai_api_key=KEY, local_model=NO_LOCAL)

    with open_endpoint_sync(settings) as endpoint:
        assert not endpoint.local


async def test_without_key_or_url_the_local_model_is_resolved() -> None:
    settings = _settings(local_model=NO_LOCAL)

    with pytest.raises(ConfigError, match=NO_LOCAL):
        async with open_endpoint(settings):
            pass


def test_the_key_never_shows_in_repr_or_json() -> None:
    endpoint = LLMEndpoint(
        base_url=DEFAULT_BASE_URL, api_key=SecretStr(KEY), model="m", local=False, kind="chat"
    )

    for text in (repr(endpoint), str(endpoint), endpoint.model_dump_json()):
        assert KEY not in text


async def test_the_client_never_retries_on_its_own() -> None:
    endpoint = LLMEndpoint(
        base_url="http://127.0.0.1:9/v1",
        api_key=SecretStr(KEY),
        model="m",
        local=False,
        kind="chat",
    )

    client = make_openai_client(endpoint, timeout_s=3.5)
    async with client:
        assert client.max_retries == 0
        assert str(client.base_url).rstrip("/") == "http://127.0.0.1:9/v1"
        assert client.api_key == KEY
        assert client.timeout == 3.5


async def test_an_endpoint_without_a_key_gets_a_placeholder() -> None:
    endpoint = LLMEndpoint(
        base_url="http://127.0.0.1:9/v1", api_key=None, model="m", local=False, kind="chat"
    )

    async with make_openai_client(endpoint, timeout_s=1) as client:
        assert client.api_key


@pytest.mark.integration
@pytest.mark.llm
async def test_without_key_or_url_a_local_server_lives_for_the_block() -> None:
    before = _children()
    settings = _settings(local_model="smollm2-135m", local_threads=2)

    async with open_endpoint(settings) as endpoint:
        assert endpoint.local
        assert endpoint.model == "smollm2-135m"
        assert endpoint.kind == "chat"
        assert endpoint.base_url.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient(trust_env=False) as http:
            response = await http.get(f"{endpoint.base_url}/models")
        assert response.status_code == 200
        assert len(_children() - before) >= 1

    assert _children() == before
