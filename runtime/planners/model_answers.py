"""Reading a model endpoint's HTTP 200 body, trusting nothing in it.

The openai client builds its response objects without validating them, so a server that
answers 200 with a body that is not JSON, `choices` that is not a list, `message: null`,
non-string content or non-numeric usage would surface as `JSONDecodeError`,
`AttributeError` or a pydantic error far from the call. Both LLM planners read the raw
body here instead: every such body becomes a `MalformedResponseError` (an
`LLMResponseError`, so the hybrid planner falls back and the CLI prints one line), and
what is read is a small typed `ModelAnswer`.

Token counts are the server's word: missing ones count as zero, and a count above
`MAX_TOKENS_PER_CALL` (no context window comes near it) is clamped to it, so a broken
server cannot put 10^30 into records and metrics. The prompt tokens a server took from
its cache (llama-server's `timings.cache_n`, OpenAI's and vLLM's
`usage.prompt_tokens_details.cached_tokens`) are read where it says them, and ignored
where what it says is not a count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from crane_bench.runtime.errors import MalformedResponseError
from crane_bench.runtime.tools.base import format_validation_error

MAX_TOKENS_PER_CALL: Final = 10_000_000
_MAX_DETAIL: Final = 200


@dataclass(frozen=True, slots=True)
class ModelAnswer:
    """What one model call answered.

    Attributes:
        text: The generated text; None when the server sent none.
        refusal: A chat model's refusal, when it refused.
        finish_reason: Why generation stopped (`stop`, `length`, ...), when said.
        tokens_in: Prompt tokens, clamped to `MAX_TOKENS_PER_CALL`.
        tokens_out: Generated tokens, clamped likewise.
        tokens_cached: Prompt tokens the server reused from its cache, when it says.
    """

    text: str | None
    refusal: str | None
    finish_reason: str | None
    tokens_in: int
    tokens_out: int
    tokens_cached: int | None = None


class _Body(BaseModel):
    # Servers add fields of their own (llama.cpp's timings, OpenAI's system_fingerprint).
    model_config = ConfigDict(extra="ignore")


_B = TypeVar("_B", bound=_Body)


class _Usage(_Body):
    prompt_tokens: StrictInt | None = Field(None, ge=0)
    completion_tokens: StrictInt | None = Field(None, ge=0)
    prompt_tokens_details: Any = None


class _Message(_Body):
    content: StrictStr | None = None
    refusal: StrictStr | None = None


class _ChatChoice(_Body):
    message: _Message
    finish_reason: StrictStr | None = None


class _TextChoice(_Body):
    text: StrictStr
    finish_reason: StrictStr | None = None


class _ChatCompletion(_Body):
    choices: list[_ChatChoice] = Field(min_length=1)
    usage: _Usage | None = None
    timings: Any = None


class _TextCompletion(_Body):
    choices: list[_TextChoice] = Field(min_length=1)
    usage: _Usage | None = None
    timings: Any = None


def read_chat_answer(body: bytes | str) -> ModelAnswer:
    """The first choice of a /chat/completions body.

    Raises:
        MalformedResponseError: The body is not JSON, or not a chat completion.
    """
    completion = _parse(body, _ChatCompletion, "chat completion")
    choice = completion.choices[0]
    message = choice.message
    answer = _answer(message.content, message.refusal, choice.finish_reason, completion.usage)
    return _with_cached(answer, completion.timings, completion.usage)


def read_text_answer(body: bytes | str) -> ModelAnswer:
    """The first choice of a /completions body.

    Raises:
        MalformedResponseError: The body is not JSON, or not a text completion.
    """
    completion = _parse(body, _TextCompletion, "completion")
    choice = completion.choices[0]
    answer = _answer(choice.text, None, choice.finish_reason, completion.usage)
    return _with_cached(answer, completion.timings, completion.usage)


def _answer(
    text: str | None, refusal: str | None, finish_reason: str | None, usage: _Usage | None
) -> ModelAnswer:
    # Servers that skip usage, or parts of it, count as zero rather than failing a plan.
    tokens_in = min(usage.prompt_tokens or 0, MAX_TOKENS_PER_CALL) if usage is not None else 0
    tokens_out = min(usage.completion_tokens or 0, MAX_TOKENS_PER_CALL) if usage is not None else 0
    return ModelAnswer(text, refusal, finish_reason, tokens_in, tokens_out)


def _with_cached(answer: ModelAnswer, timings: Any, usage: _Usage | None) -> ModelAnswer:
    """`answer` with the prompt tokens the server says it took from its cache."""
    details = usage.prompt_tokens_details if usage is not None else None
    for source, key in ((timings, "cache_n"), (details, "cached_tokens")):
        count = source.get(key) if isinstance(source, dict) else None
        if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
            cached = min(count, answer.tokens_in) if answer.tokens_in else count
            return ModelAnswer(
                answer.text,
                answer.refusal,
                answer.finish_reason,
                answer.tokens_in,
                answer.tokens_out,
                min(cached, MAX_TOKENS_PER_CALL),
            )
    return answer


def _parse(body: bytes | str, model: type[_B], what: str) -> _B:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        shown = "empty" if not body.strip() else "not JSON"
        raise _malformed(what, f"the body is {shown}") from None
    if not isinstance(data, dict):
        raise _malformed(what, f"the body is a JSON {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _malformed(what, format_validation_error(exc)) from None


def _malformed(what: str, detail: str) -> MalformedResponseError:
    return MalformedResponseError(
        f"malformed model response: not a {what} ({detail[:_MAX_DETAIL]})"
    )
