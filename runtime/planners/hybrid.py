"""The hybrid planner: an LLM planner and the pattern rules, one covering for the other.

Strategies:

- `llm-first`: ask the LLM and validate its plan against the tools; when the call fails
  or the plan is invalid, use the pattern plan instead.
- `pattern-first`: use the pattern plan when the rules are confident, without calling
  the LLM; otherwise proceed as `llm-first` (reusing the pattern match on fallback).

Where the plan came from is told by `meta.fallback`: None means the LLM's plan;
`pattern_confident` means the rules answered and the LLM was not called; any other
reason means the LLM was asked, failed in that way, and the pattern plan was used. The
hybrid never raises for a model problem: it always returns a plan.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol, runtime_checkable

from runtime.errors import InvalidPlanError, InvalidPlanReason, LLMTimeoutError, PlannerError
from runtime.models import Fallback, FallbackReason, Plan, PlanMeta, PlanResult
from runtime.planners.base import Planner
from runtime.planners.validation import validate_plan
from runtime.settings import HybridStrategy
from runtime.tools.base import ToolRegistry

_MAX_DETAIL = 200

_INVALID_PLAN_FALLBACKS: MappingProxyType[InvalidPlanReason, FallbackReason] = MappingProxyType(
    {
        "invalid_json": FallbackReason.INVALID_JSON,
        "schema": FallbackReason.INVALID_JSON,  # parsed, but not a plan: still unusable output
        "unknown_tool": FallbackReason.UNKNOWN_TOOL,
        "invalid_input": FallbackReason.INVALID_INPUT,
    }
)


class PatternMatchLike(Protocol):
    """What the hybrid needs of a pattern match: the plan and whether to trust it."""

    @property
    def plan(self) -> Plan:
        """The rules' plan (possibly empty)."""
        ...

    @property
    def confident(self) -> bool:
        """True when the rules account for the whole prompt."""
        ...


@runtime_checkable
class PatternLike(Planner, Protocol):
    """A planner that can also say how sure it is (`PatternPlanner`)."""

    def match(self, prompt: str) -> PatternMatchLike:
        """Match `prompt` against the rules, without side effects."""
        ...


@dataclass(frozen=True)
class _LLMOutcome:
    plan: Plan | None
    meta: PlanMeta | None
    fallback: Fallback | None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:_MAX_DETAIL]


class HybridPlanner:
    """Combines an LLM planner with the pattern planner.

    Args:
        llm: The model-backed planner (raises `PlannerError` subclasses on failure).
        pattern: The rule-based planner.
        tools: Registry the LLM's plans are validated against.
        strategy: Which planner is asked first.
    """

    name = "hybrid"

    def __init__(
        self,
        *,
        llm: Planner,
        pattern: PatternLike,
        tools: ToolRegistry,
        strategy: HybridStrategy = "llm-first",
    ) -> None:
        self.llm = llm
        self.pattern = pattern
        self.tools = tools
        self.strategy: HybridStrategy = strategy

    async def plan(self, prompt: str) -> PlanResult:
        """Plan `prompt` by the strategy; never raises for a model failure."""
        began = time.perf_counter()
        match: PatternMatchLike | None = None
        if self.strategy == "pattern-first":
            match = self.pattern.match(prompt)
            if match.confident:
                fallback = Fallback(
                    reason=FallbackReason.PATTERN_CONFIDENT, detail="rules matched; LLM not called"
                )
                return self._result(match.plan, began, llm_meta=None, fallback=fallback)
        outcome = await self._ask_llm(prompt)
        if outcome.plan is not None:
            return self._result(outcome.plan, began, llm_meta=outcome.meta, fallback=None)
        if match is None:
            match = self.pattern.match(prompt)
        return self._result(match.plan, began, llm_meta=outcome.meta, fallback=outcome.fallback)

    async def _ask_llm(self, prompt: str) -> _LLMOutcome:
        """The LLM's validated plan, or why there is none."""
        try:
            result = await self.llm.plan(prompt)
        except LLMTimeoutError as exc:
            return _LLMOutcome(
                None, exc.meta, Fallback(reason=FallbackReason.TIMEOUT, detail=_one_line(exc))
            )
        except InvalidPlanError as exc:
            reason = _INVALID_PLAN_FALLBACKS[exc.reason]
            return _LLMOutcome(None, exc.meta, Fallback(reason=reason, detail=_one_line(exc)))
        except PlannerError as exc:
            fallback = Fallback(reason=FallbackReason.MODEL_ERROR, detail=_one_line(exc))
            return _LLMOutcome(None, exc.meta, fallback)
        try:
            validate_plan(result.plan, self.tools)
        except InvalidPlanError as exc:
            reason = _INVALID_PLAN_FALLBACKS[exc.reason]
            return _LLMOutcome(None, result.meta, Fallback(reason=reason, detail=_one_line(exc)))
        return _LLMOutcome(result.plan, result.meta, None)

    def _result(
        self, plan: Plan, began: float, *, llm_meta: PlanMeta | None, fallback: Fallback | None
    ) -> PlanResult:
        llm = llm_meta or PlanMeta(planner=self.llm.name)  # no call: no model, no tokens
        meta = PlanMeta(
            planner=self.name,
            strategy=self.strategy,
            latency_ms=(time.perf_counter() - began) * 1000,
            fallback=fallback,
            model=llm.model,
            tokens_in=llm.tokens_in,
            tokens_out=llm.tokens_out,
            cost_usd=llm.cost_usd,
            raw_output=llm.raw_output,
        )
        return PlanResult(plan=plan, meta=meta)
