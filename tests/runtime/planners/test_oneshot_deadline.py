"""The one-shot planner ends within its plan deadline, even against a server that trickles.

A server that sends its answer one byte at a time never lets a read time out (each byte
restarts httpx's read timer), so only the plan's own deadline (`LLM_PLAN_TIMEOUT_S`) can
end the plan. The server here is real, on a loopback socket, so httpx's real timeouts
are in play; it trickles for longer than any deadline below, then gives up.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from typer.testing import CliRunner

from crane_bench.cli.app import app
from crane_bench.runtime.errors import LLMTimeoutError
from crane_bench.runtime.planners.hybrid import HybridPlanner
from crane_bench.runtime.planners.llm import LLMPlanner, LLMPlannerConfig
from crane_bench.runtime.planners.pattern import PatternPlanner
from crane_bench.runtime.tools import default_tools
from tests.threaded_server import serving

pytestmark = pytest.mark.integration

BYTE_EVERY_S = 0.1
"""Well inside one read's timeout (`TIMEOUT_S`): the read never times out."""
TIMEOUT_S = 0.5
DEADLINE_S = 1.0
TRICKLE_BYTES = 300
"""30 s of trickling: far beyond the deadline, and the end of the test if it is missed."""


class Trickle(ThreadingHTTPServer):
    """Answers every POST with a 200 whose body comes one byte per `BYTE_EVERY_S`."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.stop = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    server: Trickle

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(TRICKLE_BYTES))
        self.end_headers()
        try:
            for _ in range(TRICKLE_BYTES):
                if self.server.stop.wait(BYTE_EVERY_S):
                    return
                self.wfile.write(b" ")
                self.wfile.flush()
        except OSError:  # the client hung up: what a deadline does
            return


@pytest.fixture
def trickle() -> Iterator[str]:
    server = Trickle()
    with serving(server, "/v1") as url:
        try:
            yield url
        finally:
            server.stop.set()


def one_shot(url: str, **config: Any) -> LLMPlanner:
    client = openai.AsyncOpenAI(
        api_key="sk-local",
        base_url=url,
        max_retries=0,
        http_client=httpx.AsyncClient(timeout=TIMEOUT_S),  # type: ignore[arg-type]
    )
    return LLMPlanner(
        client,
        model="fake-model",
        tools=default_tools().describe(),
        config=LLMPlannerConfig(timeout_s=TIMEOUT_S, max_retries=0, **config),
    )


async def test_the_one_shot_planner_stops_at_its_plan_deadline(trickle: str) -> None:
    planner = one_shot(trickle, plan_timeout_s=DEADLINE_S)

    with pytest.raises(LLMTimeoutError, match=r"did not finish the plan within its 1s deadline"):
        await planner.plan("calculate 2 + 2")


async def test_the_hybrid_falls_back_at_the_one_shot_deadline(trickle: str) -> None:
    hybrid = HybridPlanner(
        llm=one_shot(trickle, plan_timeout_s=DEADLINE_S),
        pattern=PatternPlanner(),
        tools=default_tools(),
        strategy="llm-first",
    )

    result = await hybrid.plan("calculate 2 + 2")

    assert result.meta.fallback is not None
    assert result.meta.fallback.reason == "timeout"
    assert result.plan.steps[0].tool == "calculator"


def test_plan_with_the_one_shot_planner_ends_at_the_deadline(
    trickle: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    env = {
        "OPENAI_BASE_URL": trickle,
        "OPENAI_API_KEY": "sk-test-trickle-0000",
        "LLM_SERVER": "openai",
        "LLM_TIMEOUT_S": str(TIMEOUT_S),
        "LLM_PLAN_TIMEOUT_S": str(DEADLINE_S),
        "LLM_MAX_RETRIES": "0",
    }

    result = CliRunner().invoke(
        app, ["plan", "calculate 2 + 2", "--planner", "llm[mode=oneshot]"], env=env
    )

    assert result.exit_code == 1, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: LLMTimeoutError: ")
    assert "deadline" in line
