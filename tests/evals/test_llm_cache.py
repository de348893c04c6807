"""The LLM response cache: hits, misses, bypass, errors never cached; and no key leaks.

The model endpoint is faked at the HTTP level (`httpx.MockTransport` answering real
chat-completion JSON) under the real `CachingTransport` and the real LLM planners.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from crane_bench.evals.llm_cache import CacheStats, CachingTransport, cache_key, cache_stats
from crane_bench.evals.run_config import EvalConfig
from crane_bench.runtime.settings import Settings
from tests.evals.eval_helpers import (
    CASES,
    FakeEndpoint,
    offline_settings,
    read_rows,
    run_new,
    write_cases,
)
from tests.runtime.planners.fake_openai import FAKE_KEY, chat_completion

URL = "https://llm.example.test/v1/chat/completions"
BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 0}


def request(body: object = BODY, *, url: str = URL, key: str = FAKE_KEY) -> httpx.Request:
    return httpx.Request("POST", url, json=body, headers={"Authorization": f"Bearer {key}"})


class Recorder:
    def __init__(self, status: int = 200) -> None:
        self.calls = 0
        self.status = status

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.status != 200:
            return httpx.Response(self.status, json={"error": {"message": "no"}})
        return httpx.Response(200, json=chat_completion('{"steps": []}'))


def cached_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.json"))


def all_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


async def send(transport: CachingTransport, req: httpx.Request) -> httpx.Response:
    async with httpx.AsyncClient(transport=transport) as client:
        return await client.send(req)


async def test_the_second_identical_request_is_served_from_disk(tmp_path: Path) -> None:
    inner = Recorder()
    cache = CachingTransport(httpx.MockTransport(inner), tmp_path)
    stats = CacheStats()
    cache_stats.set(stats)
    first = await send(cache, request())
    second = await send(cache, request(key="sk-another-key-123456"))  # headers are not keyed
    assert inner.calls == 1
    assert first.json() == second.json()
    assert (stats.hits, stats.misses, stats.fully_cached) == (1, 1, False)
    files = cached_files(tmp_path)
    assert len(files) == 1
    assert FAKE_KEY not in files[0].read_text()


@pytest.mark.parametrize(
    "other",
    [
        {**BODY, "temperature": 1},
        {**BODY, "model": "n"},
        {**BODY, "messages": [{"role": "user", "content": "hello"}]},
    ],
)
async def test_parameters_model_and_messages_are_keyed(tmp_path: Path, other: object) -> None:
    inner = Recorder()
    cache = CachingTransport(httpx.MockTransport(inner), tmp_path)
    await send(cache, request())
    await send(cache, request(other))
    assert inner.calls == 2


def test_the_key_ignores_json_key_order_but_not_the_url() -> None:
    reordered = dict(reversed(list(BODY.items())))
    assert cache_key(request()) == cache_key(request(reordered))
    assert cache_key(request()) != cache_key(request(url="http://127.0.0.1:9/v1/chat/completions"))
    assert cache_key(request({**BODY, "stream": True})) is None
    assert cache_key(httpx.Request("GET", "https://llm.example.test/v1/models")) is None
    assert cache_key(httpx.Request("POST", URL, content=b"not json")) is None


@pytest.mark.parametrize("status", [400, 429, 500])
async def test_errors_are_never_cached(tmp_path: Path, status: int) -> None:
    inner = Recorder(status)
    cache = CachingTransport(httpx.MockTransport(inner), tmp_path)
    assert (await send(cache, request())).status_code == status
    assert (await send(cache, request())).status_code == status
    assert inner.calls == 2
    assert cached_files(tmp_path) == []


@pytest.mark.parametrize(
    "body", [b"[" * 200_000 + b"]" * 200_000, b'{"choices": [' + b"9" * 5000 + b"]}"]
)
async def test_a_body_too_deep_or_too_long_to_parse_is_passed_on_not_cached(
    tmp_path: Path, body: bytes
) -> None:
    answer = httpx.Response(200, content=body)
    cache = CachingTransport(httpx.MockTransport(lambda _: answer), tmp_path)
    assert (await send(cache, request())).content == body
    assert cached_files(tmp_path) == []


def hosted(**values: object) -> Settings:
    return offline_settings(
        openai_base_url="https://llm.example.test/v1",
        openai_api_key=FAKE_KEY,
        llm_model="fake-model",
        hybrid_strategy="llm-first",  # asks the model for every case, as the tests count
        **values,
    )


def llm_config(cases: Path, cache_dir: Path, **values: object) -> EvalConfig:
    return EvalConfig.model_validate(
        {
            "planners": ("llm", "hybrid"),
            "case_paths": (cases,),
            "cache_dir": cache_dir,
            **values,
        }
    )


async def test_a_second_run_makes_no_model_call(tmp_path: Path) -> None:
    cases = write_cases(tmp_path / "cases.yaml")
    endpoint = FakeEndpoint()
    cfg = llm_config(cases, tmp_path / "cache")
    _run, first = await run_new(cfg, hosted(), tmp_path / "a", http_transport=endpoint.transport)
    calls = len(endpoint.requests)
    assert calls == 2 * len(CASES)  # llm-first hybrid asks the model too
    assert first.cached_trials == 0
    assert first.planners["llm"].value("plan_accuracy") == 1.0
    run2, second = await run_new(cfg, hosted(), tmp_path / "b", http_transport=endpoint.transport)
    assert len(endpoint.requests) == calls  # zero HTTP calls
    assert all(row["cached"] for row in read_rows(run2.results_file))
    assert second.cached_trials == 2 * len(CASES)
    assert second.planners["llm"].value("plan_accuracy") == 1.0


@pytest.mark.parametrize("bypass", [{"use_cache": False}, {"repeats": 2}])
async def test_no_cache_and_repeats_bypass_the_cache(
    tmp_path: Path, bypass: dict[str, object]
) -> None:
    cases = write_cases(tmp_path / "cases.yaml")
    endpoint = FakeEndpoint()
    warm = llm_config(cases, tmp_path / "cache")
    await run_new(warm, hosted(), tmp_path / "a", http_transport=endpoint.transport)
    calls = len(endpoint.requests)
    cfg = llm_config(cases, tmp_path / "cache", **bypass)
    run, summary = await run_new(cfg, hosted(), tmp_path / "b", http_transport=endpoint.transport)
    assert len(endpoint.requests) - calls == summary.trials
    assert not summary.spec.args.cache
    assert not any(row["cached"] for row in read_rows(run.results_file))


async def test_a_failed_model_call_is_a_row_and_is_not_cached(tmp_path: Path) -> None:
    cases = write_cases(tmp_path / "cases.yaml")
    endpoint = FakeEndpoint(status=400)
    cfg = llm_config(cases, tmp_path / "cache", planners=("llm",))
    _run, summary = await run_new(cfg, hosted(), tmp_path / "a", http_transport=endpoint.transport)
    assert summary.planners["llm"].outcomes["planner_error"] == len(CASES)
    assert cached_files(tmp_path / "cache") == []
    await run_new(cfg, hosted(), tmp_path / "b", http_transport=endpoint.transport)
    assert len(endpoint.requests) == 2 * len(CASES)


async def test_the_api_key_is_in_no_file_of_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", "https://llm.example.test/v1")
    monkeypatch.setenv("LLM_MODEL", "fake-model")
    settings = Settings(_env_file=None)
    assert settings.openai_api_key is not None
    cases = write_cases(tmp_path / "cases.yaml")
    endpoint = FakeEndpoint()
    cfg = llm_config(cases, tmp_path / "run" / "cache", planners=("pattern", "llm", "hybrid"))
    run, summary = await run_new(cfg, settings, tmp_path / "run", http_transport=endpoint.transport)
    assert endpoint.requests[0].headers["authorization"] == f"Bearer {FAKE_KEY}"  # it was used
    assert summary.environment.endpoint is not None
    assert summary.environment.endpoint.base_url == "https://llm.example.test/v1"
    files = all_files(tmp_path)
    assert len(files) >= 4  # spec, results, summary, cache entries
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert FAKE_KEY not in text, path
    assert json.loads(run.summary_file.read_text())["spec"]["args"]["settings"][
        "openai_api_key_set"
    ]


def test_a_local_server_is_keyed_by_its_model_not_its_port() -> None:
    # A local server started by a run listens on a new port each time.
    first = request(url="http://127.0.0.1:40001/v1/chat/completions")
    second = request(url="http://127.0.0.1:40002/v1/chat/completions")
    local = "local llama-cpp-python smollm2-135m"
    assert cache_key(first, "llm", local) == cache_key(second, "llm", local)
    assert cache_key(first, "llm", local) != cache_key(first, "llm", "local x gemma3-270m")
    assert cache_key(first, "llm") != cache_key(second, "llm")  # by URL otherwise
