"""A fake llama-server on a thread: slots, `/health`, `/props`, and slow completions.

It answers as llama.cpp's server does where the harness looks (`owned_by: llamacpp`,
`total_slots`, `timings`), and counts how many completions it holds at once, so tests
can see what the client sent concurrently. Every completion answers `no` (no tool), which
the decomposed planner's grammar allows for any clause.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.threaded_server import serving


class FakeLlamaServer(ThreadingHTTPServer):
    """State shared by the handler threads.

    Args:
        slots: What `/props` reports as `total_slots`.
        completion_s: How long each completion takes.
    """

    daemon_threads = True

    def __init__(self, *, slots: int = 4, completion_s: float = 0.2) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.slots = slots
        self.completion_s = completion_s
        self.health_status = 200
        self.release = threading.Event()
        """Set to let held completions finish at once."""
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.completions = 0
        self.bodies: list[dict[str, Any]] = []
        self.gets: list[str] = []
        """The paths of every GET, in order."""

    def enter(self, body: dict[str, Any]) -> None:
        with self._lock:
            self.in_flight += 1
            self.completions += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.bodies.append(body)

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1


class _Handler(BaseHTTPRequestHandler):
    server: FakeLlamaServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _send(self, status: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.server.gets.append(self.path)
        if self.path == "/health":
            ok = self.server.health_status == 200
            self._send(self.server.health_status, {"status": "ok" if ok else "loading model"})
        elif self.path == "/props":
            self._send(200, {"total_slots": self.server.slots})
        elif self.path == "/v1/models":
            self._send(200, {"object": "list", "data": [{"id": "fake", "owned_by": "llamacpp"}]})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.enter(body)
        began = time.perf_counter()
        try:
            self.server.release.wait(self.server.completion_s)
            ms = (time.perf_counter() - began) * 1000
            self._send(200, _completion(body, ms))
        finally:
            self.server.leave()


def _completion(body: dict[str, Any], ms: float) -> dict[str, Any]:
    timings = {
        "cache_n": 40,
        "prompt_n": 10,
        "prompt_ms": ms / 2,
        "predicted_n": 1,
        "predicted_ms": ms / 2,
    }
    usage = {"prompt_tokens": 50, "completion_tokens": 1, "total_tokens": 51}
    if "messages" in body:
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "fake"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "no"},
                    "finish_reason": "stop",
                }
            ],
            "usage": usage,
            "timings": timings,
        }
    return {
        "id": "cmpl-fake",
        "object": "text_completion",
        "created": 0,
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "text": " no", "finish_reason": "stop"}],
        "usage": usage,
        "timings": timings,
    }


@contextmanager
def fake_llama_server(*, slots: int = 4, completion_s: float = 0.2) -> Iterator[FakeLlamaServer]:
    """A running fake; its `/v1` base URL is `base_url(server)`."""
    server = FakeLlamaServer(slots=slots, completion_s=completion_s)
    with serving(server):
        try:
            yield server
        finally:
            server.release.set()


def base_url(server: FakeLlamaServer) -> str:
    """The OpenAI-compatible base URL of a running fake."""
    return f"http://127.0.0.1:{server.server_address[1]}/v1"
