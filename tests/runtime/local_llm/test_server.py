"""The real local model servers with the packaged models (integration).

Lifecycle tests run against both programs: llama.cpp's llama-server (built by `make
install`) and llama-cpp-python's server.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import time
from pathlib import Path

import httpx
import psutil
import pytest

from crane_bench.runtime.errors import ConfigError, LLMUnavailableError
from crane_bench.runtime.local_llm import (
    LLMEndpoint,
    LocalModelServer,
    LocalServerConfig,
    ensure_port_free,
    make_openai_client,
    pick_free_port,
    resolve_model,
)
from crane_bench.runtime.local_llm.programs import LocalProgram, find_llama_server

PROGRAMS = [
    pytest.param(
        "llama-server",
        marks=pytest.mark.skipif(
            find_llama_server() is None, reason="no llama-server binary (make llama-server)"
        ),
    ),
    "llama-cpp-python",
]
READY_LINE: dict[LocalProgram, str] = {
    "llama-server": "listening on http://",
    "llama-cpp-python": "Uvicorn running on",
}


def _group_members(pgid: int) -> list[int]:
    members = []
    for proc in psutil.process_iter():
        try:
            if os.getpgid(proc.pid) == pgid:
                members.append(proc.pid)
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
    return members


def _assert_gone(pid: int) -> None:
    assert not psutil.pid_exists(pid)
    assert _group_members(pid) == []


def _smollm2(program: LocalProgram = "llama-cpp-python") -> LocalModelServer:
    config = LocalServerConfig(threads=2, server=program)
    return LocalModelServer(resolve_model("smollm2-135m"), config)


# -- ports (unit) ----------------------------------------------------------------------


def test_pick_free_port_gives_a_bindable_port() -> None:
    port = pick_free_port()

    assert 0 < port < 65536
    ensure_port_free(port)


def test_a_port_with_a_listener_is_refused_before_spawning() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        server = LocalModelServer(resolve_model("smollm2-135m"), LocalServerConfig(port=port))

        with pytest.raises(ConfigError, match=f"port {port}"):
            server.start()
    assert server.pid is None


def test_base_url_before_start_is_an_error() -> None:
    with pytest.raises(LLMUnavailableError, match="not been started"):
        _ = _smollm2().base_url


# -- the shared session server -----------------------------------------------------------


@pytest.mark.integration
@pytest.mark.llm
def test_models_endpoint_lists_the_alias(local_llm_endpoint: LLMEndpoint) -> None:
    response = httpx.get(f"{local_llm_endpoint.base_url}/models", trust_env=False)

    assert response.status_code == 200
    assert [m["id"] for m in response.json()["data"]] == ["smollm2-135m"]
    assert local_llm_endpoint.local
    assert local_llm_endpoint.kind == "chat"


async def _ask(endpoint: LLMEndpoint, prompt: str) -> tuple[str, int, int]:
    client = make_openai_client(endpoint, timeout_s=60)
    async with client:
        completion = await client.chat.completions.create(
            model=endpoint.model,
            messages=[{"role": "user", "content": prompt}],
            temperature=0,
            seed=7,
            max_tokens=32,
        )
    assert completion.usage is not None
    text = completion.choices[0].message.content or ""
    return text, completion.usage.prompt_tokens, completion.usage.completion_tokens


@pytest.mark.integration
@pytest.mark.llm
async def test_chat_completion_returns_text_and_usage(local_llm_endpoint: LLMEndpoint) -> None:
    text, prompt_tokens, completion_tokens = await _ask(local_llm_endpoint, "calculate 2 + 2")

    assert text.strip()
    assert prompt_tokens > 0
    assert completion_tokens > 0


@pytest.mark.integration
@pytest.mark.llm
async def test_temperature_zero_with_a_seed_repeats(local_llm_endpoint: LLMEndpoint) -> None:
    first = await _ask(local_llm_endpoint, "calculate 2 + 2")
    second = await _ask(local_llm_endpoint, "calculate 2 + 2")

    assert first == second


# -- lifecycle (each test starts its own server) -----------------------------------------


@pytest.mark.integration
@pytest.mark.llm
@pytest.mark.parametrize("program", PROGRAMS)
def test_stop_leaves_no_process_nor_log_and_is_idempotent(program: LocalProgram) -> None:
    server = _smollm2(program)
    server.start()
    pid = server.pid
    assert pid is not None
    assert server.running
    assert server.startup_s is not None
    assert server.startup_s > 0
    assert server.rss_bytes() > 10 * 2**20  # the weights alone are 98 MB
    assert os.getpgid(pid) == pid  # its own process group
    log = server.log_path

    server.stop()
    server.stop()

    _assert_gone(pid)
    assert not server.running
    with pytest.raises(LLMUnavailableError):
        server.rss_bytes()
    # A clean stop removes the log (`__exit__` is `stop()`; a crash keeps it, below).
    assert log is not None
    assert not log.exists()


@pytest.mark.integration
@pytest.mark.llm
@pytest.mark.parametrize("program", PROGRAMS)
def test_a_crash_keeps_the_log(program: LocalProgram) -> None:
    crashed = _smollm2(program)
    with crashed:
        assert crashed.pid is not None
        os.kill(crashed.pid, signal.SIGKILL)
        crashed_log = crashed.log_path
        while crashed.running:
            time.sleep(0.05)

    assert crashed_log is not None
    assert crashed_log.is_file()
    assert READY_LINE[program] in crashed.log_path.read_text()
    shutil.rmtree(crashed_log.parent)


def _fail_inside(pids: list[int]) -> None:
    with _smollm2() as server:
        assert server.pid is not None
        pids.append(server.pid)
        raise RuntimeError("boom")


async def _fail_inside_async(pids: list[int], program: LocalProgram) -> None:
    async with _smollm2(program) as server, httpx.AsyncClient(trust_env=False) as http:
        assert (await http.get(f"{server.base_url}/models")).status_code == 200
        assert server.pid is not None
        pids.append(server.pid)
        raise RuntimeError("boom")


@pytest.mark.integration
@pytest.mark.llm
def test_an_exception_inside_the_block_still_stops_the_server() -> None:
    pids: list[int] = []

    with pytest.raises(RuntimeError, match="boom"):
        _fail_inside(pids)

    _assert_gone(pids[0])


@pytest.mark.integration
@pytest.mark.llm
@pytest.mark.parametrize("program", PROGRAMS)
async def test_async_block_stops_the_server_on_an_exception(program: LocalProgram) -> None:
    pids: list[int] = []

    with pytest.raises(RuntimeError, match="boom"):
        await _fail_inside_async(pids, program)

    _assert_gone(pids[0])


@pytest.mark.integration
@pytest.mark.llm
@pytest.mark.parametrize("program", PROGRAMS)
def test_a_bogus_model_file_fails_with_the_log_tail(tmp_path: Path, program: LocalProgram) -> None:
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"GGUF" + b"this is not a gguf file\n" * 64)  # right magic, no model
    config = LocalServerConfig(threads=1, log_dir=tmp_path, server=program)
    server = LocalModelServer(resolve_model(str(bogus)), config)

    with pytest.raises(LLMUnavailableError) as info:
        server.start()

    message = str(info.value)
    assert "exited with code" in message
    assert "failed to load model" in message.lower()  # from the server's own stderr
    assert server.log_path == tmp_path / "server.log"
    assert server.log_path.is_file()
    assert str(server.log_path) in message
    assert server.pid is None


@pytest.mark.integration
@pytest.mark.llm
def test_a_start_timeout_stops_the_process(tmp_path: Path) -> None:
    config = LocalServerConfig(threads=1, start_timeout_s=0.001, log_dir=tmp_path)
    server = LocalModelServer(resolve_model("smollm2-135m"), config)

    with pytest.raises(LLMUnavailableError, match="not ready within"):
        server.start()

    assert server.pid is None
    assert not server.running


@pytest.mark.integration
@pytest.mark.llm
@pytest.mark.parametrize("program", PROGRAMS)
def test_gemma_serves_completions(program: LocalProgram) -> None:
    model = resolve_model("gemma3-270m")  # joins the parts on first use
    assert model.kind == "completion"

    with LocalModelServer(model, LocalServerConfig(threads=2, server=program)) as server:
        response = httpx.post(
            f"{server.base_url}/completions",
            json={
                "model": server.model_name,
                "prompt": "Question: what is 2 + 2?\nAnswer:",
                "temperature": 0,
                "seed": 7,
                "max_tokens": 8,
            },
            timeout=60,
            trust_env=False,
        )

    assert response.status_code == 200
    body = response.json()
    assert body["choices"][0]["text"].strip()
    assert body["usage"]["completion_tokens"] > 0


@pytest.mark.integration
@pytest.mark.llm
@pytest.mark.skipif(find_llama_server() is None, reason="no llama-server binary")
async def test_llama_server_answers_health_while_every_slot_decodes() -> None:
    # Two slots, two long completions in flight: /health answers at once, as the
    # service's health check relies on, and both completions finish.
    config = LocalServerConfig(threads=2, server="llama-server", parallel=2)
    async with (
        LocalModelServer(resolve_model("smollm2-135m"), config) as server,
        httpx.AsyncClient(trust_env=False, timeout=120) as http,
    ):
        assert (server.program, server.slots) == ("llama-server", 2)
        body = {
            "model": server.model_name,
            "messages": [{"role": "user", "content": "Write a long story about a ship."}],
            "max_tokens": 200,
            "temperature": 0,
        }
        busy = [
            asyncio.create_task(http.post(f"{server.base_url}/chat/completions", json=body))
            for _ in range(2)
        ]
        root = server.base_url.removesuffix("/v1")
        for _ in range(3000):  # until both slots are taken (at most a minute)
            if all(s["is_processing"] for s in (await http.get(f"{root}/slots")).json()):
                break
            await asyncio.sleep(0.02)
        else:
            pytest.fail("the two slots were never busy at once")
        health = await http.get(f"{root}/health", timeout=1.0)
        answers = await asyncio.gather(*busy)
    assert health.status_code == 200
    assert [a.status_code for a in answers] == [200, 200]
    assert all(a.json()["timings"]["predicted_n"] > 0 for a in answers)
