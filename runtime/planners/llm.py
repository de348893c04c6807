"""The LLM planner: one chat completion, constrained to the plan's JSON schema.

The planner owns its timeout and retries. The caller builds the `AsyncOpenAI` client
with `max_retries=0`; each attempt here gets `timeout=` on the request, and tenacity
retries only what may pass (connection errors, timeouts, 408/429/5xx) with exponential
backoff. The whole plan, retries included, ends at the plan's deadline
(`plan_deadline_s`), as the decomposed planner's does: a server that trickles its answer
never lets one read time out. Errors are mapped onto `runtime.errors` with a `PlanMeta`
attached, so a failed call is still recorded with its latency, tokens and raw output;
the mapping and the retry policy live in `model_errors`, shared with the decomposed
planner. The body of an answer is read by `model_answers`, which turns anything
malformed into a `MalformedResponseError` rather than trusting the openai client's
unvalidated objects.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Sequence
from typing import Any, Self

import openai
from openai.types.chat import ChatCompletionMessageParam
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crane_bench.runtime.errors import (
    InvalidPlanError,
    LLMError,
    LLMTimeoutError,
    MalformedResponseError,
)
from crane_bench.runtime.local_llm.server_kind import traits
from crane_bench.runtime.models import Plan, PlanMeta, PlanResult
from crane_bench.runtime.planners.call_recording import CallRecording, attempt_of
from crane_bench.runtime.planners.model_answers import ModelAnswer, TokenLimits, read_chat_answer
from crane_bench.runtime.planners.model_errors import (
    Sleep,
    is_transient,
    map_model_error,
    model_call_retrying,
    redact,
)
from crane_bench.runtime.planners.pricing import estimate_cost
from crane_bench.runtime.planners.prompting import (
    ToolDescription,
    build_plan_schema,
    build_system_prompt,
    plan_examples,
    resolve_response_format,
    response_format_kwargs,
)
from crane_bench.runtime.settings import (
    LLM_BACKOFF_BASE_S,
    LLM_BACKOFF_MAX_S,
    ResponseFormatMode,
    ServerKind,
    Settings,
    call_budget_s,
    setting_default,
)
from crane_bench.runtime.tools.base import format_validation_error
from crane_bench.runtime.tools.plugin import ToolPlugins
from crane_bench.runtime.tools.registry import BUILTIN_TOOL_PLUGINS
from crane_bench.runtime.transcript import Recorder

__all__ = [
    "LLMPlanner",
    "LLMPlannerConfig",
    "is_transient",
    "parse_plan_text",
    "redact",
]

_FENCE = re.compile(r"^```[a-zA-Z]*\s*\n?(.*?)\n?```$", re.DOTALL)
_MAX_DETAIL = 200


class LLMPlannerConfig(BaseModel):
    """Call policy of the LLM planner."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout_s: float = Field(
        setting_default("llm_timeout_s"), gt=0, description="Timeout of one attempt."
    )
    max_retries: int = Field(
        setting_default("llm_max_retries"), ge=0, le=10, description="Attempts after the first."
    )
    temperature: float = Field(setting_default("llm_temperature"), ge=0, le=2)
    seed: int = Field(
        setting_default("llm_seed"), description="Sent with every request, for repeatability."
    )
    max_tokens: int = Field(setting_default("llm_max_tokens"), ge=16, le=4096)
    response_format: ResponseFormatMode = Field(
        "auto", description="How output is constrained; auto: OpenAI structured outputs."
    )
    local: bool = Field(
        False, description="The model runs on hardware the user owns: it costs nothing."
    )
    backoff_base_s: float = Field(
        LLM_BACKOFF_BASE_S, ge=0, description="First retry wait; doubles after."
    )
    backoff_max_s: float = Field(LLM_BACKOFF_MAX_S, ge=0, description="Cap of one retry wait.")
    plan_timeout_s: float | None = Field(
        None, gt=0, description="Deadline of a whole plan; None: one call's budget."
    )

    @property
    def plan_deadline_s(self) -> float:
        """How long one plan may take, every model call in it included.

        A planner that makes several calls (one per clause) shares this budget between
        them, so a slow model ends in the planner's own timeout, which a caller (the
        hybrid, the case timeout) can plan for, not in a trial's timeout. Built from
        settings, it is `Settings.llm_plan_deadline_s`.
        """
        budget = call_budget_s(
            self.timeout_s, self.max_retries, self.backoff_base_s, self.backoff_max_s
        )
        return self.plan_timeout_s or budget

    @classmethod
    def from_settings(cls, settings: Settings, *, server: ServerKind = "unknown") -> Self:
        """The config that `settings` describe, for an endpoint served by `server`.

        Args:
            settings: Source of timeout, retries, sampling and output mode.
            server: What serves the endpoint; resolves an `auto` output format, and
                whether the model costs anything.
        """
        return cls(
            timeout_s=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
            temperature=settings.llm_temperature,
            seed=settings.llm_seed,
            max_tokens=settings.llm_max_tokens,
            response_format=resolve_response_format(settings.llm_response_format, server),
            local=traits(server).self_hosted,
            plan_timeout_s=settings.llm_plan_timeout_s,
        )


def parse_plan_text(text: str) -> Plan:
    """Read a plan from model output: `{"steps": [...]}` or a bare list of steps.

    Control characters inside strings are accepted (`strict=False`) because llama.cpp
    lets them through; a Markdown code fence around the JSON is stripped.

    Raises:
        InvalidPlanError: reason `invalid_json` when the text is not JSON, `schema` when
            it is JSON but not a plan.
    """
    stripped = text.strip()
    fenced = _FENCE.match(stripped)
    if fenced:
        stripped = fenced.group(1).strip()
    if not stripped:
        raise InvalidPlanError("model output is empty", reason="invalid_json")
    try:
        data = json.loads(stripped, strict=False)
    except json.JSONDecodeError as exc:
        raise InvalidPlanError(
            f"model output is not JSON: {exc.msg} at char {exc.pos}", reason="invalid_json"
        ) from None
    except ValueError:  # the parser's own limit: an integer of more than 4,300 digits
        raise InvalidPlanError(
            "model output is not JSON that can be read: a number too long", reason="invalid_json"
        ) from None
    except RecursionError:
        raise InvalidPlanError(
            "model output is not JSON that can be read: nested too deep", reason="invalid_json"
        ) from None
    if isinstance(data, list):
        data = {"steps": data}
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        detail = format_validation_error(exc)[:_MAX_DETAIL]
        raise InvalidPlanError(f"model output is not a plan: {detail}", reason="schema") from None


class LLMPlanner:
    """Plans with a chat model behind any OpenAI-compatible endpoint.

    Args:
        client: The endpoint's client, built with `max_retries=0` (retries are ours).
        model: Model name sent with each request.
        tools: `ToolRegistry.describe()` of the tools a plan may call.
        config: Timeout, retries, sampling and output mode.
        sleep: Waits between retries; tests pass a recorder so nothing really waits.
        plugins: The tools' plug-ins: their example plans, and which tools are shown
            only for prompts their cue matches (`ToolPlugin.offered`); a tool without a
            plug-in is always shown.
    """

    name = "llm"

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        *,
        model: str,
        tools: Sequence[ToolDescription],
        config: LLMPlannerConfig | None = None,
        sleep: Sleep = asyncio.sleep,
        plugins: ToolPlugins = BUILTIN_TOOL_PLUGINS,
    ) -> None:
        self.client = client
        self.model = model
        self.config = config or LLMPlannerConfig()
        self.response_format = resolve_response_format(self.config.response_format, "unknown")
        self.local = self.config.local
        self.plugins = plugins
        self.tools = tuple(tools)
        self._examples = plan_examples(plugins)
        always = [tool for tool in self.tools if not self._cued(str(tool["name"]))]
        self.schema = build_plan_schema(always)
        self.system_prompt = build_system_prompt(always, self._examples)
        self._offers: dict[tuple[str, ...], tuple[dict[str, Any], str]] = {
            tuple(str(t["name"]) for t in always): (self.schema, self.system_prompt)
        }
        self._sleep = sleep

    def _cued(self, name: str) -> bool:
        """True when the tool `name` is shown only for prompts its cue matches."""
        plugin = self.plugins.get(name)
        return plugin is not None and plugin.offered == "when_cued"

    def offer(self, prompt: str) -> tuple[dict[str, Any], str]:
        """The plan schema and system prompt for `prompt`: of the tools shown for it.

        Every tool without a plug-in or offered `always`, and each tool offered
        `when_cued` whose `signal` matches the prompt.
        """
        shown = self.plugins.offered_for(prompt)
        tools = [
            t
            for t in self.tools
            if not self._cued(str(t["name"])) or shown.get(str(t["name"])) is not None
        ]
        key = tuple(str(t["name"]) for t in tools)
        if key not in self._offers:
            self._offers[key] = (
                build_plan_schema(tools),
                build_system_prompt(tools, self._examples),
            )
        return self._offers[key]

    def messages(self, prompt: str) -> list[ChatCompletionMessageParam]:
        """The chat messages sent for `prompt`."""
        _, system_prompt = self.offer(prompt)
        return [
            {"role": "system", "content": system_prompt},
            {"role": "user", "content": prompt},
        ]

    async def plan(self, prompt: str) -> PlanResult:
        """Ask the model for a plan of `prompt` (see `plan_recorded`)."""
        return await self.plan_recorded(prompt, None)

    async def plan_recorded(self, prompt: str, recorder: Recorder | None) -> PlanResult:
        """Ask the model for a plan of `prompt`, recording each attempt into `recorder`.

        Raises:
            LLMTimeoutError: Every attempt timed out, or the attempts together overran
                the plan's deadline (`LLMPlannerConfig.plan_deadline_s`).
            LLMUnavailableError: The endpoint could not be reached or dropped the connection.
            LLMResponseError: An error status.
            MalformedResponseError: An HTTP 200 whose body is not a chat completion.
            InvalidPlanError: The output is not JSON, was truncated, or is not a plan.
        """
        began = time.perf_counter()
        recording = (
            CallRecording(recorder, planner=self.name, api_key=self.client.api_key)
            if recorder is not None
            else None
        )
        deadline_s = self.config.plan_deadline_s
        try:
            # One read timeout never fires against a server that trickles its answer a
            # byte at a time: the plan's deadline bounds the call, its retries included.
            async with asyncio.timeout(deadline_s):
                answer = await self._complete(prompt, recording)
        except TimeoutError:
            raise LLMTimeoutError(
                f"model {self.model!r} did not finish the plan within its {deadline_s:g}s deadline",
                meta=PlanMeta(
                    planner=self.name, model=self.model, model_calls=1, latency_ms=_ms_since(began)
                ),
            ) from None
        except openai.OpenAIError as exc:
            meta = PlanMeta(
                planner=self.name, model=self.model, model_calls=1, latency_ms=_ms_since(began)
            )
            raise self._map_error(exc, meta) from None
        except MalformedResponseError as exc:
            exc.meta = PlanMeta(
                planner=self.name, model=self.model, model_calls=1, latency_ms=_ms_since(began)
            )
            raise
        text = answer.text
        # A count the call could not have taken is unknown: it adds no tokens, no cost.
        tokens_in, tokens_out = answer.tokens_in or 0, answer.tokens_out or 0
        meta = PlanMeta(
            planner=self.name,
            model=self.model,
            model_calls=1,
            latency_ms=_ms_since(began),
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            tokens_cached=answer.tokens_cached,
            cost_usd=estimate_cost(self.model, tokens_in, tokens_out, local=self.local) or 0.0,
            raw_output=text,
        )
        if answer.finish_reason == "length":
            raise InvalidPlanError(
                f"model output was cut off at max_tokens ({self.config.max_tokens})",
                reason="invalid_json",
                meta=meta,
            )
        if text is None:
            refusal = answer.refusal
            detail = (
                f"model refused: {refusal[:_MAX_DETAIL]}" if refusal else "model output is empty"
            )
            raise InvalidPlanError(detail, reason="invalid_json", meta=meta)
        try:
            plan = parse_plan_text(text)
        except InvalidPlanError as exc:
            exc.meta = meta
            raise
        return PlanResult(plan=plan, meta=meta)

    async def _complete(self, prompt: str, recording: CallRecording | None) -> ModelAnswer:
        retrying = model_call_retrying(self.config, self._sleep)
        answer: ModelAnswer = await retrying(self._request, prompt, recording)
        return answer

    async def _request(self, prompt: str, recording: CallRecording | None = None) -> ModelAnswer:
        schema, _ = self.offer(prompt)
        extra: dict[str, Any] = response_format_kwargs(self.response_format, schema)
        with attempt_of(recording) as attempt:
            # The raw body, read by `model_answers`: the client's own objects are not validated.
            response = await self.client.chat.completions.with_raw_response.create(
                model=self.model,
                messages=self.messages(prompt),
                temperature=self.config.temperature,
                seed=self.config.seed,
                max_tokens=self.config.max_tokens,
                timeout=self.config.timeout_s,
                **extra,
            )
            attempt.response = response.http_response
            limits = TokenLimits.of(
                len(response.http_response.request.content), self.config.max_tokens
            )
            attempt.answer = read_chat_answer(response.content, limits, (self.client.api_key,))
        return attempt.answer

    def _map_error(self, exc: openai.OpenAIError, meta: PlanMeta) -> LLMError:
        return map_model_error(
            exc,
            model=self.model,
            timeout_s=self.config.timeout_s,
            attempts=self.config.max_retries + 1,
            api_key=self.client.api_key,
            meta=meta,
        )


def _ms_since(began: float) -> float:
    return (time.perf_counter() - began) * 1000
