"""A model server that answers both endpoints, well or badly, at the HTTP level.

`FakeLlama` answers `/chat/completions` and `/completions` from a script, as llama.cpp's
server does. It plugs into an `AsyncOpenAI` client through `httpx.MockTransport`
(`client()`), or serves the same script over a real loopback socket (`serve()`) for code
that builds its own client: the CLI, the service. Nothing of the openai package is
patched.

`MALFORMED` lists the ways a broken server answers HTTP 200, found by probing the
planners: each shape is a function of the endpoint asked, so one script serves both.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import openai

from tests.runtime.planners.fake_openai import FAKE_KEY, FakeOpenAI
from tests.threaded_server import serving

Answer = Callable[[httpx.Request], httpx.Response]
Scripted = str | httpx.Response | Answer | type[httpx.TransportError]


def is_chat(request: httpx.Request) -> bool:
    """True for /chat/completions, False for /completions."""
    return request.url.path.endswith("/chat/completions")


def completion_body(text: Any, *, finish_reason: str = "stop", usage: Any = None) -> dict[str, Any]:
    """A /completions body as llama-cpp-python sends it."""
    return {
        "id": "cmpl-fake",
        "object": "text_completion",
        "created": int(time.time()),
        "model": "fake-model",
        "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": finish_reason}],
        "usage": usage or {"prompt_tokens": 100, "completion_tokens": 7, "total_tokens": 107},
    }


def chat_body(text: Any, *, finish_reason: str = "stop", usage: Any = None) -> dict[str, Any]:
    """A /chat/completions body."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "fake-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": finish_reason,
            }
        ],
        "usage": usage or {"prompt_tokens": 90, "completion_tokens": 5, "total_tokens": 95},
    }


def completion_json(chat: bool, text: Any, *, usage: Any = None) -> dict[str, Any]:
    """A well-formed body of either endpoint, with `text` and `usage` as given."""
    return chat_body(text, usage=usage) if chat else completion_body(text, usage=usage)


def tokens(prompt: Any, completion: Any) -> Answer:
    """A well-formed answer (an abstaining plan, or `none`) with these token counts."""
    usage = {"prompt_tokens": prompt, "completion_tokens": completion}
    return lambda request: httpx.Response(
        200, json=completion_json(is_chat(request), ABSTAIN[is_chat(request)], usage=usage)
    )


# "No tool" as each endpoint's usual caller writes it: the one-shot planner's plan on
# /chat/completions, the decomposed planner's label on /completions.
ABSTAIN = {True: '{"steps": []}', False: " no\n"}


def _json_200(body: bytes) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"content-type": "application/json"})


def _with_choice(choice: Any) -> Answer:
    def answer(request: httpx.Request) -> httpx.Response:
        body = completion_json(is_chat(request), "x")
        body["choices"] = [choice]
        return httpx.Response(200, json=body)

    return answer


def _with_text(text: Any) -> Answer:
    return lambda request: httpx.Response(200, json=completion_json(is_chat(request), text))


HUGE_INTEGER = "9" * 5000
"""More digits than Python's JSON parser converts (4,300): `ValueError` there."""
DEEP_JSON = "[" * 200_000 + "]" * 200_000
"""Nesting deeper than the JSON parser's recursion limit: `RecursionError` there."""


MALFORMED: dict[str, Answer] = {
    "not JSON": lambda _: _json_200(b"<html>captive portal</html>"),
    "empty body": lambda _: _json_200(b""),
    "truncated JSON": lambda _: _json_200(b'{"choices": [{"message": {"content": "{'),
    "a JSON list": lambda _: httpx.Response(200, json=[{"choices": []}]),
    "no choices": lambda _: httpx.Response(200, json={"id": "x", "object": "chat.completion"}),
    "choices not a list": lambda _: httpx.Response(200, json={"choices": {"0": {"text": "a"}}}),
    "choices empty": lambda _: httpx.Response(200, json={"choices": []}),
    "choice null": _with_choice(None),
    "message null": _with_choice({"index": 0, "message": None, "text": None}),
    "content a number": _with_text(42),
    "content an object": _with_text({"steps": []}),
    "usage not numeric": tokens("many", "few"),
    "usage negative": tokens(-5, 3),
    "usage a string": lambda request: httpx.Response(
        200, json=completion_json(is_chat(request), "x", usage="lots")
    ),
    "a 5,000-digit integer": lambda _: _json_200(f'{{"choices": [{HUGE_INTEGER}]}}'.encode()),
    "nested 200,000 deep": lambda _: _json_200(DEEP_JSON.encode()),
    "usage a 5,000-digit integer": lambda request: _json_200(
        json.dumps(completion_json(is_chat(request), ABSTAIN[is_chat(request)]))
        .replace('"prompt_tokens": 90', f'"prompt_tokens": {HUGE_INTEGER}')
        .replace('"prompt_tokens": 100', f'"prompt_tokens": {HUGE_INTEGER}')
        .encode()
    ),
}


class FakeLlama(FakeOpenAI):
    """Answers both completion endpoints from a script, and records every request.

    A scripted string is the model's text in a well-formed body of whichever endpoint
    was asked; an `httpx.Response` is sent as it is; a callable answers the request; a
    transport error class is raised (through `client()`) or drops the connection
    (through `serve()`). With `repeat` set, that item answers once the script is empty.
    """

    def __init__(self, *, repeat: Scripted | None = None) -> None:
        super().__init__()
        self.repeat = repeat

    def handler(self, request: httpx.Request) -> httpx.Response:
        """Answer one request: the `MockTransport` handler."""
        self.requests.append(request)
        assert request.url.path.endswith("/completions"), request.url
        item = self.script.popleft() if self.script else self.repeat
        assert item is not None, "the fake server got a request it was not scripted for"
        if isinstance(item, str):
            return httpx.Response(200, json=completion_json(is_chat(request), item))
        if isinstance(item, httpx.Response):
            return item
        if isinstance(item, type):
            raise item("scripted transport fault", request=request)
        return item(request)

    def client(
        self, *, base_url: str = "http://127.0.0.1:9/v1", api_key: str = FAKE_KEY
    ) -> openai.AsyncOpenAI:
        """An `AsyncOpenAI` client wired to this fake, on a loopback URL (a local model)."""
        return super().client(base_url=base_url, api_key=api_key)

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve the script on a loopback port; yields the base URL (ending in /v1)."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                request = httpx.Request(
                    "POST",
                    f"http://{self.headers['host']}{self.path}",
                    headers=dict(self.headers),
                    content=self.rfile.read(length),
                )
                try:
                    answer = fake.handler(request)
                except httpx.TransportError:
                    self.close_connection = True
                    return
                answer.read()
                self.send_response(answer.status_code)
                for name in ("content-type",):
                    if name in answer.headers:
                        self.send_header(name, answer.headers[name])
                self.send_header("content-length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def do_GET(self) -> None:
                body = json.dumps({"object": "list", "data": [{"id": "fake-model"}]}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        with serving(ThreadingHTTPServer(("127.0.0.1", 0), Handler), "/v1") as url:
            yield url
