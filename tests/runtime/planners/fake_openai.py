"""A scripted OpenAI-compatible server at the HTTP level, for planner tests.

`FakeOpenAI` plugs into `httpx.MockTransport`: each request to `/chat/completions` is
recorded and answered by the next scripted item (a content string, a full
`httpx.Response`, or an `httpx.TransportError` class to raise, as a dropped connection
would). The openai package itself is never patched: it parses real chat-completion JSON.
"""

from __future__ import annotations

import json
import time
from collections import deque
from typing import Any

import httpx
import openai

FAKE_KEY = "sk-crane-FAKE-do-not-leak-7f3a9c2e51"
"""A recognisable key: tests assert it never shows up in errors or metadata."""

Scripted = str | httpx.Response | type[httpx.TransportError]


def chat_completion(
    content: str | None,
    *,
    finish_reason: str = "stop",
    model: str = "fake-model",
    prompt_tokens: int = 120,
    completion_tokens: int = 30,
    usage: bool = True,
) -> dict[str, Any]:
    """A chat-completion body exactly as an OpenAI-compatible server sends it."""
    body: dict[str, Any] = {
        "id": "chatcmpl-fake-1",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
            }
        ],
    }
    if usage:
        body["usage"] = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
    return body


def plan_json(*steps: tuple[str, dict[str, Any]]) -> str:
    """Model output for a plan of (tool, input) steps."""
    return json.dumps({"steps": [{"tool": tool, "input": data} for tool, data in steps]})


def error_response(status: int, message: str = "something went wrong") -> httpx.Response:
    """An OpenAI-style error body with `status`."""
    return httpx.Response(
        status, json={"error": {"message": message, "type": "server_error", "code": None}}
    )


class FakeOpenAI:
    """Answers chat completions from a script, and records every request."""

    def __init__(self) -> None:
        self.script: deque[Scripted] = deque()
        self.requests: list[httpx.Request] = []
        self._clients: list[openai.AsyncOpenAI] = []

    def enqueue(self, *items: Scripted) -> None:
        """Script the next answers, in order."""
        self.script.extend(items)

    def handler(self, request: httpx.Request) -> httpx.Response:
        """The `MockTransport` handler."""
        self.requests.append(request)
        assert request.url.path.endswith("/chat/completions"), request.url
        assert self.script, "the fake server got a request it was not scripted for"
        item = self.script.popleft()
        if isinstance(item, str):
            return httpx.Response(200, json=chat_completion(item))
        if isinstance(item, httpx.Response):
            return item
        raise item("scripted transport fault", request=request)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        """The JSON bodies of the requests received so far."""
        return [json.loads(request.content) for request in self.requests]

    def client(
        self, *, base_url: str = "https://llm.example.test/v1", api_key: str = FAKE_KEY
    ) -> openai.AsyncOpenAI:
        """An `AsyncOpenAI` client wired to this fake (no retries of its own)."""
        client = openai.AsyncOpenAI(
            api_key=api_key,
            base_url=base_url,
            max_retries=0,
            # openai 3.x types `http_client` as httpx2 but accepts an httpx client too.
            http_client=httpx.AsyncClient(  # type: ignore[arg-type]
                transport=httpx.MockTransport(self.handler)
            ),
        )
        self._clients.append(client)
        return client

    async def aclose(self) -> None:
        """Close every client handed out."""
        for client in self._clients:
            await client.close()


class SleepRecorder:
    """An injectable `sleep` that records the backoff waits and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
