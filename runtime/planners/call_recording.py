"""Model calls into a trial's transcript: one `ModelCallEvent` per attempt, read off HTTP.

The LLM planners wrap each attempt of a request in `attempt_of(recording)`. What is
recorded is what went over the wire: the JSON body of the HTTP request the openai
client built (so the grammar, schema and parameters are exactly those sent) and the
body of the response, whether the attempt succeeded, got an error status, timed out,
lost its connection, got a malformed 200, or was cut off by the plan's deadline.
Headers are never read, so the `Authorization` header cannot enter; the client's key is
masked wherever a body echoes it.

With no recording (no recorder was given), `attempt_of` is a `nullcontext`: nothing is
read, nothing kept.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import openai

from crane_bench.runtime.errors import MalformedResponseError
from crane_bench.runtime.masking import mask
from crane_bench.runtime.planners.model_answers import ModelAnswer
from crane_bench.runtime.transcript import (
    CallOutcome,
    ChatMessage,
    ModelCallEvent,
    Recorder,
    Text,
)

_BODY_TEXT_FIELDS = frozenset({"messages", "prompt", "grammar", "response_format", "model"})


@dataclass
class Attempt:
    """What the planner learnt during one attempt; the recording reads it at the end.

    Attributes:
        response: The HTTP response (an `httpx.Response`), once one came.
        answer: The answer read from it, once read.
    """

    response: Any = None
    answer: ModelAnswer | None = None


class CallRecording:
    """Records the attempts of one model call (a retry is another attempt).

    Args:
        recorder: The trial's recorder.
        planner: Who calls (`llm`).
        purpose: What the call decides (a clause), for the reader.
        api_key: The client's key, masked wherever it would show.
    """

    def __init__(
        self,
        recorder: Recorder,
        *,
        planner: str,
        purpose: str | None = None,
        api_key: str | None = None,
    ) -> None:
        self.recorder = recorder
        self.planner = planner
        self.purpose = purpose
        self.secrets = (api_key,) if api_key else ()
        self.attempts = 0

    @contextmanager
    def attempt(self) -> Iterator[Attempt]:
        """Record one attempt, however it ends; exceptions pass through unchanged."""
        self.attempts += 1
        number, notes = self.attempts, Attempt()
        at_ms, began = self.recorder.now_ms(), time.perf_counter()
        error: BaseException | None = None
        try:
            yield notes
        except BaseException as exc:
            error = exc
            raise
        finally:
            latency_ms = (time.perf_counter() - began) * 1000
            self.recorder.add(self._event(notes, error, number, at_ms, latency_ms))

    def _text(self, value: str) -> Text:
        return self.recorder.text(mask(value, self.secrets))

    def _event(
        self,
        notes: Attempt,
        error: BaseException | None,
        number: int,
        at_ms: float,
        latency_ms: float,
    ) -> ModelCallEvent:
        response = notes.response if notes.response is not None else _response_of(error)
        request = _request_of(response) if response is not None else _request_of(error)
        body = _json(_content(request))
        raw = _content(response) if response is not None else None
        outcome, message = _outcome(error)
        answer = notes.answer
        headers = getattr(response, "headers", None) or {}
        cached = headers.get("x-crane-cache") == "hit"
        # A cached body's timings are the run that filled the cache, not this call's.
        model_ms = None if cached else _server_ms(raw)
        return ModelCallEvent(
            at_ms=at_ms,
            planner=self.planner,
            purpose=self.purpose,
            attempt=number,
            endpoint=_endpoint(request),
            model=body.get("model") if isinstance(body.get("model"), str) else None,
            messages=self._messages(body.get("messages")),
            prompt=self._text(body["prompt"]) if isinstance(body.get("prompt"), str) else None,
            grammar=self._text(body["grammar"]) if isinstance(body.get("grammar"), str) else None,
            response_format=(
                self._text(json.dumps(body["response_format"], ensure_ascii=False))
                if "response_format" in body
                else None
            ),
            params={k: v for k, v in body.items() if k not in _BODY_TEXT_FIELDS},
            outcome=outcome,
            status=getattr(response, "status_code", None),
            error=self.recorder.line(mask(message, self.secrets)) if message else None,
            raw_response=self._text(raw.decode("utf-8", "replace")) if raw is not None else None,
            answer=self._text(answer.text) if answer is not None and answer.text else None,
            finish_reason=answer.finish_reason if answer is not None else None,
            latency_ms=round(latency_ms, 3),
            model_ms=model_ms,
            queue_ms=round(max(latency_ms - model_ms, 0.0), 3) if model_ms is not None else None,
            tokens_in=answer.tokens_in if answer is not None else None,
            tokens_out=answer.tokens_out if answer is not None else None,
            tokens_cached=answer.tokens_cached if answer is not None else None,
            cached=cached,
        )

    def _messages(self, value: object) -> list[ChatMessage] | None:
        if not isinstance(value, list):
            return None
        return [
            ChatMessage(role=str(item.get("role", "?")), content=self._text(str(item["content"])))
            for item in value
            if isinstance(item, dict) and "content" in item
        ]


def attempt_of(recording: CallRecording | None) -> AbstractContextManager[Attempt]:
    """`recording.attempt()`, or a context that records nothing when there is no recording."""
    return recording.attempt() if recording is not None else nullcontext(Attempt())


def _outcome(error: BaseException | None) -> tuple[CallOutcome, str | None]:
    if error is None:
        return "ok", None
    text = f"{type(error).__name__}: {error}"
    if isinstance(error, MalformedResponseError):
        return "malformed", text
    if isinstance(error, openai.APITimeoutError):
        return "timeout", text
    if isinstance(error, openai.APIConnectionError):
        return "connection_error", text
    if isinstance(error, asyncio.CancelledError):
        return "cancelled", "cancelled: the plan's deadline (or the trial's) cut this call short"
    return "http_error", text


def _response_of(error: BaseException | None) -> Any:
    return getattr(error, "response", None) if isinstance(error, openai.APIStatusError) else None


def _request_of(holder: object) -> Any:
    try:
        return getattr(holder, "request", None)
    except RuntimeError:  # an httpx response built without its request
        return None


def _content(message: object) -> bytes | None:
    try:
        content = getattr(message, "content", None)
    except RuntimeError:  # a streamed body not read (never for these calls)
        return None
    return content if isinstance(content, bytes) else None


def _json(content: bytes | None) -> dict[str, Any]:
    if not content:
        return {}
    try:
        data = json.loads(content)
    except (ValueError, RecursionError):  # not JSON, or more than the parser reads
        return {}
    return data if isinstance(data, dict) else {}


def _endpoint(request: object) -> str:
    url = getattr(request, "url", None)
    if url is None:
        return "unknown"
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}{url.path}"


def _server_ms(raw: bytes | None) -> float | None:
    """Prompt plus generation time as the server reports it (llama-server's `timings`)."""
    timings = _json(raw).get("timings")
    if not isinstance(timings, dict):
        return None
    parts = [timings.get("prompt_ms"), timings.get("predicted_ms")]
    if not all(isinstance(part, int | float) for part in parts):
        return None
    return round(float(sum(parts)), 3)  # type: ignore[arg-type]
