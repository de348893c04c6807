"""Reading a model endpoint's HTTP 200 body, trusting nothing in it.

The openai client builds its response objects without validating them, so a server that
answers 200 with a body that is not JSON, `choices` that is not a list, `message: null`,
non-string content or non-numeric usage would surface as `JSONDecodeError`,
`AttributeError` or a pydantic error far from the call. Both LLM planners read the raw
body here instead: every such body becomes a `MalformedResponseError` (an
`LLMResponseError`, so the hybrid planner falls back and the CLI prints one line), and
what is read is a small typed `ModelAnswer`. The model's text is masked here
(`masking.mask`, with the client's key): a server that echoes the `Authorization`
header puts it in no plan, raw output, error message or record downstream.

A body the JSON parser itself refuses is malformed too: an integer of more digits than
Python converts (`ValueError`) or nesting deeper than its recursion limit
(`RecursionError`).

Token counts are the server's word: missing ones count as zero. A count that the call
could not have taken (`TokenLimits`: more prompt tokens than the request held, more
generated tokens than it allowed) is unknown, None: a broken server's 10^30, or its
9 million, must not enter records, metrics or a cost. The prompt tokens a server took
from its cache (llama-server's `timings.cache_n`, OpenAI's and vLLM's
`usage.prompt_tokens_details.cached_tokens`) are read where it says them, and ignored
where what it says is not a count.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from crane_bench.runtime.errors import MalformedResponseError
from crane_bench.runtime.masking import mask
from crane_bench.runtime.tools.base import format_validation_error

_MAX_DETAIL: Final = 200
_TOKEN_SLACK: Final = 8192
"""Tokens a server may add of its own: a system prompt, a template, a preamble."""


@dataclass(frozen=True, slots=True)
class TokenLimits:
    """The most tokens one call could have taken; a count above them is not believed.

    Attributes:
        prompt: Prompt tokens. A token covers at least one byte of the text sent
            (byte-level tokenizers), and the request body holds that text with JSON
            around it, so its size in bytes, plus `_TOKEN_SLACK`, bounds them.
        completion: Generated tokens: the `max_tokens` asked for, plus `_TOKEN_SLACK`.
    """

    prompt: int
    completion: int

    @classmethod
    def of(cls, request_bytes: int, max_tokens: int) -> TokenLimits:
        """The limits of a request of `request_bytes` that allowed `max_tokens`."""
        return cls(request_bytes + _TOKEN_SLACK, max_tokens + _TOKEN_SLACK)


@dataclass(frozen=True, slots=True)
class ModelAnswer:
    """What one model call answered.

    Attributes:
        text: The generated text; None when the server sent none.
        refusal: A chat model's refusal, when it refused.
        finish_reason: Why generation stopped (`stop`, `length`, ...), when said.
        tokens_in: Prompt tokens; 0 when not said, None when beyond `TokenLimits`.
        tokens_out: Generated tokens, likewise.
        tokens_cached: Prompt tokens the server reused from its cache, when it says.
    """

    text: str | None
    refusal: str | None
    finish_reason: str | None
    tokens_in: int | None
    tokens_out: int | None
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


def read_chat_answer(
    body: bytes | str, limits: TokenLimits, secrets: Iterable[str | None] = ()
) -> ModelAnswer:
    """The first choice of a /chat/completions body.

    Args:
        body: The HTTP 200 body.
        limits: The token counts the request could have taken.
        secrets: Masked in the text read (the client's key).

    Raises:
        MalformedResponseError: The body is not JSON, or not a chat completion.
    """
    hidden = tuple(secrets)
    completion = _parse(body, _ChatCompletion, "chat completion", hidden)
    choice = completion.choices[0]
    message = choice.message
    text, refusal = _masked(message.content, hidden), _masked(message.refusal, hidden)
    answer = _answer(text, refusal, choice.finish_reason, completion.usage, limits)
    return _with_cached(answer, completion.timings, completion.usage, limits)


def read_text_answer(
    body: bytes | str, limits: TokenLimits, secrets: Iterable[str | None] = ()
) -> ModelAnswer:
    """The first choice of a /completions body.

    Args:
        body: The HTTP 200 body.
        limits: The token counts the request could have taken.
        secrets: Masked in the text read (the client's key).

    Raises:
        MalformedResponseError: The body is not JSON, or not a text completion.
    """
    hidden = tuple(secrets)
    completion = _parse(body, _TextCompletion, "completion", hidden)
    choice = completion.choices[0]
    text = _masked(choice.text, hidden)
    answer = _answer(text, None, choice.finish_reason, completion.usage, limits)
    return _with_cached(answer, completion.timings, completion.usage, limits)


def _masked(text: str | None, secrets: tuple[str | None, ...]) -> str | None:
    return mask(text, secrets) if text is not None else None


def _plausible(count: int | None, limit: int) -> int | None:
    # Servers that skip usage, or parts of it, count as zero rather than failing a plan.
    return (count or 0) if (count or 0) <= limit else None


def _answer(
    text: str | None,
    refusal: str | None,
    finish_reason: str | None,
    usage: _Usage | None,
    limits: TokenLimits,
) -> ModelAnswer:
    if usage is None:
        return ModelAnswer(text, refusal, finish_reason, 0, 0)
    tokens_in = _plausible(usage.prompt_tokens, limits.prompt)
    tokens_out = _plausible(usage.completion_tokens, limits.completion)
    return ModelAnswer(text, refusal, finish_reason, tokens_in, tokens_out)


def _with_cached(
    answer: ModelAnswer, timings: Any, usage: _Usage | None, limits: TokenLimits
) -> ModelAnswer:
    """`answer` with the prompt tokens the server says it took from its cache."""
    details = usage.prompt_tokens_details if usage is not None else None
    for source, key in ((timings, "cache_n"), (details, "cached_tokens")):
        count = source.get(key) if isinstance(source, dict) else None
        if isinstance(count, int) and not isinstance(count, bool) and 0 <= count <= limits.prompt:
            cached = min(count, answer.tokens_in) if answer.tokens_in else count
            return ModelAnswer(
                answer.text,
                answer.refusal,
                answer.finish_reason,
                answer.tokens_in,
                answer.tokens_out,
                cached,
            )
    return answer


def _parse(body: bytes | str, model: type[_B], what: str, secrets: tuple[str | None, ...]) -> _B:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        shown = "empty" if not body.strip() else "not JSON"
        raise _malformed(what, f"the body is {shown}") from None
    except ValueError:  # the parser's own limit: an integer of more than 4,300 digits
        raise _malformed(what, "the body holds a number too long to read") from None
    except RecursionError:
        raise _malformed(what, "the body is nested too deep to read") from None
    if not isinstance(data, dict):
        raise _malformed(what, f"the body is a JSON {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _malformed(what, mask(format_validation_error(exc), secrets)) from None


def _malformed(what: str, detail: str) -> MalformedResponseError:
    return MalformedResponseError(
        f"malformed model response: not a {what} ({detail[:_MAX_DETAIL]})"
    )
