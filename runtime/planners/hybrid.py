"""The hybrid planner: an LLM planner and the pattern rules, one covering for the other.

Strategies (`HYBRID_STRATEGY`):

- `llm-first`: ask the LLM and validate its plan against the tools; when the call fails
  or the plan is invalid, use the pattern plan instead.
- `pattern-first`: use the pattern plan when the rules serve every clause, without
  calling the LLM; otherwise proceed as `llm-first`.
- `clause-merge` (the default): the rules answer every clause they serve; the LLM is
  asked only about the clauses they do not serve, one clause at a time, and only where
  the clause carries a cue for some tool (`signals`, which asks each tool's plug-in); a
  step it proposes for a tool its clause gives no cue for, or for a todo action its
  clause names no verb of, is refused (`signals.supports_step`). A prompt with no cue
  at all is a confident abstention: the model is not asked. So the model adds answers
  where the rules have none, and never overrides a rule or acts on text that asks for
  no tool.

Where the plan came from is told by `meta.model_calls` (0: the model was not asked),
`meta.decision` (in words) and `meta.fallback`: set only when the model *was* asked and
its answer was not used (or not all of it), with the reason. The hybrid never raises
for a model problem, and ends within `deadline_s`: it always returns a plan.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol, runtime_checkable

from crane_bench.runtime.errors import (
    InvalidPlanError,
    InvalidPlanReason,
    LLMTimeoutError,
    PlannerError,
)
from crane_bench.runtime.models import (
    MAX_PLAN_STEPS,
    Fallback,
    FallbackReason,
    Plan,
    PlanMeta,
    PlanResult,
    PlanStep,
)
from crane_bench.runtime.planners.base import Planner, plan_with
from crane_bench.runtime.planners.signals import has_no_signal, refers_back, supports_step
from crane_bench.runtime.planners.validation import validate_plan
from crane_bench.runtime.settings import HybridStrategy
from crane_bench.runtime.tools.base import ToolRegistry
from crane_bench.runtime.tools.plugin import ToolPlugins
from crane_bench.runtime.tools.registry import BUILTIN_TOOL_PLUGINS
from crane_bench.runtime.transcript import (
    DecisionEvent,
    ModelVerdictEvent,
    Recorder,
    RuleReading,
    RulesEvent,
)

DEFAULT_STRATEGY: HybridStrategy = "clause-merge"
_MAX_DETAIL = 200

_INVALID_PLAN_FALLBACKS: MappingProxyType[InvalidPlanReason, FallbackReason] = MappingProxyType(
    {
        "invalid_json": FallbackReason.INVALID_JSON,
        "schema": FallbackReason.INVALID_JSON,  # parsed, but not a plan: still unusable output
        "unknown_tool": FallbackReason.UNKNOWN_TOOL,
        "invalid_input": FallbackReason.INVALID_INPUT,
    }
)


class ClauseLike(Protocol):
    """One clause as the rules read it."""

    @property
    def text(self) -> str:
        """The clause's text."""
        ...

    @property
    def steps(self) -> Sequence[PlanStep] | None:
        """The rules' steps for it, or None when no rule served it."""
        ...


class PatternMatchLike(Protocol):
    """What the hybrid needs of a pattern match: the plan, whether to trust it, its clauses."""

    @property
    def plan(self) -> Plan:
        """The rules' plan (possibly empty)."""
        ...

    @property
    def confident(self) -> bool:
        """True when the rules account for the whole prompt."""
        ...

    @property
    def clauses(self) -> Sequence[ClauseLike]:
        """Every clause in prompt order, served or not (may be empty)."""
        ...


_Rules = Callable[[], PatternMatchLike]
"""The rules' reading of the prompt, made on first call and kept."""


@runtime_checkable
class PatternLike(Planner, Protocol):
    """A planner that can also say how sure it is (`PatternPlanner`)."""

    def match(self, prompt: str) -> PatternMatchLike:
        """Match `prompt` against the rules, without side effects."""
        ...


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:_MAX_DETAIL]


@dataclass
class _Tally:
    """What the model calls of one plan cost and said, kept even when the deadline cuts in."""

    model: str | None = None
    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_cached: int | None = None
    cost_usd: float = 0.0
    outputs: list[str] = field(default_factory=list)
    asking: bool = False
    """A model call is under way (if the deadline cuts it, it still counts as a call)."""
    recorder: Recorder | None = None
    """The trial's recorder, when the plan is recorded."""

    def add(self, meta: PlanMeta | None) -> None:
        self.asking = False
        if meta is None:
            self.calls += 1  # asked, and nothing came back to count
            return
        self.model = meta.model or self.model
        self.calls += max(meta.model_calls, 1)
        self.tokens_in += meta.tokens_in
        self.tokens_out += meta.tokens_out
        if meta.tokens_cached is not None:
            self.tokens_cached = (self.tokens_cached or 0) + meta.tokens_cached
        self.cost_usd += meta.cost_usd
        if meta.raw_output:
            self.outputs.append(meta.raw_output)


@dataclass(frozen=True)
class _Choice:
    plan: Plan
    decision: str
    fallback: Fallback | None = None


class HybridPlanner:
    """Combines an LLM planner with the pattern planner.

    Args:
        llm: The model-backed planner (raises `PlannerError` subclasses on failure).
        pattern: The rule-based planner.
        tools: Registry the LLM's plans are validated against.
        strategy: How the two are combined (see the module docstring).
        deadline_s: The longest a plan may take, every model call included; past it the
            rules' plan is used (fallback `timeout`). None: no deadline of its own.
        plugins: The tools' plug-ins: their cues decide which clauses the model is asked
            about and which of its steps are kept, their `check` which plans are valid.
    """

    name = "hybrid"

    def __init__(
        self,
        *,
        llm: Planner,
        pattern: PatternLike,
        tools: ToolRegistry,
        strategy: HybridStrategy = DEFAULT_STRATEGY,
        deadline_s: float | None = None,
        plugins: ToolPlugins = BUILTIN_TOOL_PLUGINS,
    ) -> None:
        self.llm = llm
        self.plugins = plugins
        self.pattern = pattern
        self.tools = tools
        self.strategy: HybridStrategy = strategy
        self.deadline_s = deadline_s
        routes: dict[HybridStrategy, Callable[[str, _Rules, _Tally], Awaitable[_Choice]]] = {
            "llm-first": self._llm_first,
            "pattern-first": self._pattern_first,
            "clause-merge": self._clause_merge,
        }
        self._route = routes[strategy]

    async def plan(self, prompt: str) -> PlanResult:
        """Plan `prompt` by the strategy; never raises for a model failure."""
        return await self.plan_recorded(prompt, None)

    async def plan_recorded(self, prompt: str, recorder: Recorder | None) -> PlanResult:
        """Plan `prompt` by the strategy, recording into `recorder` (if any) how."""
        began = time.perf_counter()
        tally = _Tally(recorder=recorder)
        # The rules' reading is pure: made at most once, and only if a strategy (or the
        # recording) asks for it, so llm-first never reads when the model answers.
        rules: _Rules = functools.cache(lambda: self.pattern.match(prompt))
        if recorder is not None:
            self._record_rules(rules(), recorder)
        try:
            async with asyncio.timeout(self.deadline_s):
                choice = await self._route(prompt, rules, tally)
        except TimeoutError:
            if tally.asking:
                tally.calls += 1
            fallback = Fallback(
                reason=FallbackReason.TIMEOUT,
                detail=f"the model did not finish within the plan's {self.deadline_s:g}s deadline",
            )
            choice = _Choice(rules().plan, "model too slow: rules' plan", fallback)
        if recorder is not None:
            self._record_decision(choice, recorder)
        return self._result(choice, tally, began)

    async def _llm_first(self, prompt: str, rules: _Rules, tally: _Tally) -> _Choice:
        answer = await self._ask_llm(prompt, tally)
        if isinstance(answer, Plan):
            return _Choice(answer, "the model's plan")
        return _Choice(rules().plan, f"model failed ({answer.reason.value}): rules' plan", answer)

    async def _pattern_first(self, prompt: str, rules: _Rules, tally: _Tally) -> _Choice:
        match = rules()
        if match.confident:
            return _Choice(match.plan, "rules served every clause; model not asked")
        answer = await self._ask_llm(prompt, tally)
        if isinstance(answer, Plan):
            return _Choice(answer, "rules unsure: the model's plan")
        return _Choice(match.plan, f"model failed ({answer.reason.value}): rules' plan", answer)

    async def _clause_merge(self, prompt: str, rules: _Rules, tally: _Tally) -> _Choice:
        match = rules()
        if match.confident:
            return _Choice(match.plan, "rules served every clause; model not asked")
        if has_no_signal(prompt, plugins=self.plugins):
            return _Choice(match.plan, "no cue for any tool in the prompt; model not asked")
        readings: Sequence[ClauseLike] = match.clauses or [_WholePrompt(prompt)]
        steps: list[PlanStep] = []
        words: list[str] = []
        fallbacks: list[Fallback] = []
        for index, reading in enumerate(readings):
            if reading.steps is not None:
                steps += reading.steps
                words.append("rules")
                continue
            back = refers_back(reading.text, [r.text for r in readings[:index]], self.plugins)
            if has_no_signal(reading.text, refers_back=back, plugins=self.plugins):
                words.append("no cue")
                continue
            answer = await self._llm_answer(reading.text, tally)
            if isinstance(answer, Fallback):
                self._record_verdict(reading.text, answer, tally.recorder)
                fallbacks.append(answer)
                words.append(f"model failed ({answer.reason.value})")
                continue
            kept = [
                step for step in answer.steps if _supported(reading.text, step, back, self.plugins)
            ]
            refused = [step for step in answer.steps if step not in kept]
            unsupported = None
            if refused:
                names = sorted({_step_name(s) for s in refused})
                detail = f"no cue for {', '.join(names)} in {reading.text[:60]!r}"
                unsupported = Fallback(reason=FallbackReason.UNSUPPORTED_STEP, detail=detail)
                fallbacks.append(unsupported)
            self._record_verdict(reading.text, answer, tally.recorder, refused, unsupported)
            steps += kept
            words.append(f"model ({len(kept)} step(s))")
        decision = "per clause: " + "; ".join(words)
        first = fallbacks[0] if fallbacks else None
        if first is not None and len(fallbacks) > 1:
            detail = f"{first.detail} (+{len(fallbacks) - 1} more)"[:_MAX_DETAIL]
            first = Fallback(reason=first.reason, detail=detail)
        return _Choice(Plan(steps=steps[:MAX_PLAN_STEPS]), decision, first)

    async def _ask_llm(self, prompt: str, tally: _Tally) -> Plan | Fallback:
        """The LLM's validated plan, or why there is none; recorded when `tally` records."""
        answer = await self._llm_answer(prompt, tally)
        self._record_verdict(prompt, answer, tally.recorder)
        return answer

    async def _llm_answer(self, prompt: str, tally: _Tally) -> Plan | Fallback:
        """The LLM's validated plan, or why there is none; its cost goes to `tally`."""
        tally.asking = True
        try:
            result = await plan_with(self.llm, prompt, tally.recorder)
        except LLMTimeoutError as exc:
            tally.add(exc.meta)
            return Fallback(reason=FallbackReason.TIMEOUT, detail=_one_line(exc))
        except InvalidPlanError as exc:
            tally.add(exc.meta)
            reason = _INVALID_PLAN_FALLBACKS[exc.reason]
            return Fallback(reason=reason, detail=_one_line(exc))
        except PlannerError as exc:
            tally.add(exc.meta)
            return Fallback(reason=FallbackReason.MODEL_ERROR, detail=_one_line(exc))
        tally.add(result.meta)
        try:
            validate_plan(result.plan, self.tools, self.plugins)
        except InvalidPlanError as exc:
            reason = _INVALID_PLAN_FALLBACKS[exc.reason]
            return Fallback(reason=reason, detail=_one_line(exc))
        return result.plan

    # --- recording (only with a recorder) ----------------------------------------------

    def _record_rules(self, match: PatternMatchLike, recorder: Recorder) -> None:
        readings = [
            RuleReading(text=c.text, steps=list(c.steps) if c.steps is not None else None)
            for c in match.clauses
        ]
        recorder.add(
            RulesEvent(
                at_ms=recorder.now_ms(),
                planner=self.pattern.name,
                clauses=readings,
                confident=match.confident,
            )
        )

    def _record_verdict(
        self,
        asked: str,
        answer: Plan | Fallback,
        recorder: Recorder | None,
        refused: Sequence[PlanStep] = (),
        unsupported: Fallback | None = None,
    ) -> None:
        """Record whether the model's answer was used, and which of its steps were not.

        It was not used when the model failed, or when every step it gave was refused; a
        plan with no step counts as used (the model abstained).
        """
        if recorder is None:
            return
        fallback: Fallback | None
        if isinstance(answer, Fallback):
            used, fallback, steps = False, answer, []
        else:
            steps = list(answer.steps)
            used = not steps or len(refused) < len(steps)
            fallback = unsupported
        recorder.add(
            ModelVerdictEvent(
                at_ms=recorder.now_ms(),
                planner=self.name,
                asked=asked,
                used=used,
                fallback=fallback,
                steps=steps,
                refused=list(refused),
            )
        )

    def _record_decision(self, choice: _Choice, recorder: Recorder) -> None:
        recorder.add(
            DecisionEvent(
                at_ms=recorder.now_ms(),
                planner=self.name,
                strategy=self.strategy,
                decision=choice.decision,
                fallback=choice.fallback,
            )
        )

    def _result(self, choice: _Choice, tally: _Tally, began: float) -> PlanResult:
        meta = PlanMeta(
            planner=self.name,
            strategy=self.strategy,
            latency_ms=(time.perf_counter() - began) * 1000,
            fallback=choice.fallback,
            model=tally.model if tally.calls else None,
            model_calls=tally.calls,
            decision=choice.decision,
            tokens_in=tally.tokens_in,
            tokens_out=tally.tokens_out,
            tokens_cached=tally.tokens_cached,
            cost_usd=tally.cost_usd,
            raw_output="\n\n".join(tally.outputs) or None,
        )
        return PlanResult(plan=choice.plan, meta=meta)


def _supported(text: str, step: PlanStep, back: bool, plugins: ToolPlugins) -> bool:
    """True when `text` carries the cue of the step's tool and, if it has one, its action."""
    return supports_step(
        text, step.tool, step.input.get("action"), refers_back=back, plugins=plugins
    )


def _step_name(step: PlanStep) -> str:
    action = step.input.get("action")
    return f"{step.tool}.{action}" if isinstance(action, str) else step.tool


@dataclass(frozen=True)
class _WholePrompt:
    """The whole prompt as one unserved clause (the rules found no clause in it)."""

    text: str
    steps: None = None
