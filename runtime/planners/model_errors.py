"""What LLM planners do with a failed model call: retry it or not, and how to report it.

Shared by the one-shot planner (`llm.py`) and the decomposed one (through
`completion.ModelCaller`), so both retry the same failures with the same backoff
(`model_call_retrying`) and raise the same `runtime.errors` for them. Messages never
quote the API key: status errors are reduced to the status and a redacted detail.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Final, Protocol

import openai
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from crane_bench.runtime.errors import (
    LLMError,
    LLMResponseError,
    LLMTimeoutError,
    LLMUnavailableError,
)
from crane_bench.runtime.models import PlanMeta

Sleep = Callable[[float], Awaitable[None]]

_RETRIED_STATUSES: Final = frozenset({408, 429})
_KEY_PATTERN: Final = re.compile(r"\bsk-[A-Za-z0-9_\-*]{4,}")
MAX_DETAIL: Final = 200


def is_transient(exc: BaseException) -> bool:
    """True for model-call failures worth another attempt: network, timeout, 408/429/5xx."""
    if isinstance(exc, openai.APIConnectionError):  # APITimeoutError included
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in _RETRIED_STATUSES or exc.status_code >= 500
    return False


class RetryPolicy(Protocol):
    """How a model call is retried (`LLMPlannerConfig` is one)."""

    @property
    def timeout_s(self) -> float:
        """Timeout of one attempt."""
        ...

    @property
    def max_retries(self) -> int:
        """Attempts after the first."""
        ...

    @property
    def backoff_base_s(self) -> float:
        """First wait; doubles after each retry."""
        ...

    @property
    def backoff_max_s(self) -> float:
        """Cap of one wait."""
        ...


def model_call_retrying(policy: RetryPolicy, sleep: Sleep) -> AsyncRetrying:
    """The retry loop of one model call: transient failures only, exponential backoff.

    What still fails after the last attempt is re-raised as it was, for the planner to
    map with `map_model_error` and the plan's metadata.
    """
    return AsyncRetrying(
        stop=stop_after_attempt(policy.max_retries + 1),
        wait=wait_exponential(multiplier=policy.backoff_base_s, max=policy.backoff_max_s),
        retry=retry_if_exception(is_transient),
        sleep=sleep,
        reraise=True,
    )


def redact(text: str, *secrets: str | None) -> str:
    """`text` with the given secrets and anything shaped like an API key masked."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return _KEY_PATTERN.sub("sk-***", text)


def error_detail(body: object) -> str:
    """The `error.message` of an OpenAI-style error body, else a short body text."""
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return " ".join(error["message"].split())
        return ""
    if isinstance(body, str):
        return " ".join(body.split())
    return ""


def map_model_error(
    exc: openai.OpenAIError,
    *,
    model: str,
    timeout_s: float,
    attempts: int,
    api_key: str | None,
    meta: PlanMeta,
) -> LLMError:
    """The `runtime.errors` error for a model call that failed for good.

    Args:
        exc: What the openai client raised on the last attempt.
        model: The model asked, for the message.
        timeout_s: Timeout of one attempt, for the message.
        attempts: How many attempts were made.
        api_key: The key in use; masked wherever it would show.
        meta: What the plan cost until the failure; attached to the error.
    """
    tries = f"{attempts} attempt(s)"
    if isinstance(exc, openai.APITimeoutError):
        return LLMTimeoutError(
            f"model {model!r} did not answer within {timeout_s:g}s ({tries})", meta=meta
        )
    if isinstance(exc, openai.APIConnectionError):
        cause = type(exc.__cause__).__name__ if exc.__cause__ else "connection error"
        return LLMUnavailableError(f"model endpoint unreachable ({cause}, {tries})", meta=meta)
    if isinstance(exc, openai.APIStatusError):
        detail = redact(error_detail(exc.body), api_key)[:MAX_DETAIL]
        suffix = f": {detail}" if detail else ""
        return LLMResponseError(
            f"model endpoint returned HTTP {exc.status_code}{suffix}", meta=meta
        )
    return LLMResponseError(f"model call failed ({type(exc).__name__})", meta=meta)
