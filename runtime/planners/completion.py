"""One grammar-constrained model call, through /completions or /chat/completions.

The decomposed planner makes several small calls per plan. Each is a few-shot prompt
(`FewShotPrompt`) rendered for the endpoint's kind:

- `completion` (a base model such as Gemma 270M): plain text, examples as
  ``Request: ...`` / ``Answer: ...`` blocks, the answer left open at the end;
- `chat` (an instruct model such as SmolLM2): a system message, then each example as a
  user turn and an assistant turn, then the clause as the last user turn.

Either way what every request shares comes first (the instructions, then the shared
examples) and what varies comes last (the examples chosen for this clause, then the
clause), so that the server's prefix cache reuses everything up to the first example
that differs.

`ModelCaller` sends the request with llama.cpp's `grammar` and `repeat_penalty=1.0`
(its default 1.1 penalises the repeats a structured answer needs), and retries what may
pass with the one-shot planner's policy (`model_errors.model_call_retrying`); what still
fails is raised as the openai error, for the planner to map with the plan's metadata. A
200 whose body is not a completion (`model_answers`) raises `MalformedResponseError`, an
`LLMResponseError`, at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import openai
from openai.types.chat import ChatCompletionMessageParam

from crane_bench.runtime.local_llm.catalog import ModelKind
from crane_bench.runtime.planners.call_recording import CallRecording, attempt_of
from crane_bench.runtime.planners.llm import LLMPlannerConfig
from crane_bench.runtime.planners.model_answers import (
    ModelAnswer,
    TokenLimits,
    read_chat_answer,
    read_text_answer,
)
from crane_bench.runtime.planners.model_errors import Sleep, model_call_retrying

__all__ = ["ANSWER_PREFIX", "REQUEST_PREFIX", "CallResult", "FewShotPrompt", "ModelCaller", "Sleep"]

REQUEST_PREFIX: Final = "Request: "
ANSWER_PREFIX: Final = "Answer: "


@dataclass(frozen=True, slots=True)
class FewShotPrompt:
    """Instructions, worked examples, and the clause to answer.

    Attributes:
        instructions: What the task is; the same for every call.
        examples: (request, answer) pairs chosen for this request, most useful last.
        request: The clause to answer.
        shared: (request, answer) pairs shown to every request, right after the
            instructions (so they stay in the server's prefix cache).
    """

    instructions: str
    examples: Sequence[tuple[str, str]]
    request: str
    shared: Sequence[tuple[str, str]] = ()

    @property
    def shown(self) -> list[tuple[str, str]]:
        """Every example in the order the model sees them: shared, then this request's."""
        return [*self.shared, *self.examples]

    def as_text(self) -> str:
        """The prompt for a completion model; the answer follows, after one space."""
        blocks = [self.instructions]
        blocks += [f"{REQUEST_PREFIX}{req}\n{ANSWER_PREFIX}{ans}" for req, ans in self.shown]
        # No space after the last "Answer:": the examples tokenize it with the next word
        # (" todo"), and a prompt ending in a bare space would force an unusual split.
        blocks.append(f"{REQUEST_PREFIX}{self.request}\n{ANSWER_PREFIX.rstrip()}")
        return "\n\n".join(blocks)

    def as_messages(self) -> list[ChatCompletionMessageParam]:
        """The prompt for a chat model: the examples as earlier turns of the chat."""
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": self.instructions}
        ]
        for request, answer in self.shown:
            messages.append({"role": "user", "content": request})
            messages.append({"role": "assistant", "content": answer})
        messages.append({"role": "user", "content": self.request})
        return messages


@dataclass(frozen=True, slots=True)
class CallResult:
    """What one model call returned."""

    text: str
    tokens_in: int | None
    """None when the server's count was beyond what the call could take (unknown)."""
    tokens_out: int | None
    finish_reason: str | None
    tokens_cached: int | None = None


class ModelCaller:
    """Sends few-shot prompts to one endpoint, constrained by a GBNF grammar.

    Args:
        client: The endpoint's client, built with `max_retries=0` (retries are ours).
        model: Model name sent with each request.
        kind: `completion` uses /completions with text; `chat` uses /chat/completions.
        config: Timeout, retries, backoff, temperature and seed.
        sleep: Waits between retries; tests pass a recorder.
    """

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        *,
        model: str,
        kind: ModelKind,
        config: LLMPlannerConfig,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.client = client
        self.model = model
        self.kind: ModelKind = kind
        self.config = config
        self._sleep = sleep

    async def call(
        self,
        prompt: FewShotPrompt,
        *,
        grammar: str,
        max_tokens: int,
        recording: CallRecording | None = None,
    ) -> CallResult:
        """Send `prompt` and return the constrained answer.

        Args:
            prompt: The few-shot prompt.
            grammar: The GBNF grammar the answer must follow.
            max_tokens: Longest answer.
            recording: Where each attempt is recorded (None: nowhere).

        Raises:
            openai.OpenAIError: The call failed on every attempt (or for good).
            MalformedResponseError: The endpoint answered 200 with something else.
        """
        retrying = model_call_retrying(self.config, self._sleep)
        result: CallResult = await retrying(self._request, prompt, grammar, max_tokens, recording)
        return result

    async def _request(
        self,
        prompt: FewShotPrompt,
        grammar: str,
        max_tokens: int,
        recording: CallRecording | None = None,
    ) -> CallResult:
        # llama.cpp's own parameters travel in the body; openai's types do not know them.
        extra: dict[str, Any] = {"grammar": grammar, "repeat_penalty": 1.0}
        common: dict[str, Any] = {
            "model": self.model,
            "temperature": self.config.temperature,
            "seed": self.config.seed,
            "max_tokens": max_tokens,
            "timeout": self.config.timeout_s,
            "extra_body": extra,
        }
        # Raw bodies, read by `model_answers`: the client's own objects are not validated.
        answer: ModelAnswer
        secrets = (self.client.api_key,)
        with attempt_of(recording) as attempt:
            if self.kind == "completion":
                response = await self.client.completions.with_raw_response.create(
                    prompt=prompt.as_text(), **common
                )
                attempt.response = response.http_response
                limits = TokenLimits.of(len(response.http_response.request.content), max_tokens)
                answer = attempt.answer = read_text_answer(response.content, limits, secrets)
            else:
                chat = await self.client.chat.completions.with_raw_response.create(
                    messages=prompt.as_messages(), **common
                )
                attempt.response = chat.http_response
                limits = TokenLimits.of(len(chat.http_response.request.content), max_tokens)
                answer = attempt.answer = read_chat_answer(chat.content, limits, secrets)
        return CallResult(
            answer.text or "",
            answer.tokens_in,
            answer.tokens_out,
            answer.finish_reason,
            answer.tokens_cached,
        )
