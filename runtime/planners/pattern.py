"""The rule-based planner: regex rules per intent, no model, microseconds per plan.

A prompt is cut into clauses (`clauses.segment`, which cuts only where every part is
served by a rule), and each clause is read by the first rule reader that serves it. The
readers are the tools' own (`ToolPlugin.rules`), tried in their declared `order`; for
the built-in tools that is:

1. todo rules with an explicit marker (`tools.todo.rules.TODO_RULES`: "remind me to",
   "to my list", "task 3", "mark 2 done", ...);
2. a conversion between two units (`tools.units.rules.read_conversion`);
3. arithmetic (`tools.calculator.arithmetic_text.spoken_to_expression`);
4. a todo request read from its parts (`tools.todo.structure.read_todo_structure`);
5. a bare "add X" (`tools.todo.rules.FALLBACK_ADD_RULES`).

Clauses are read alone; a clause that points back ("mark *it* done", "multiply *that*
by 6") is then given its referent from the clauses before it (`references.resolve`).

The planner abstains (zero steps) when no clause is served: chit-chat, facts, weather,
translation, actions no tool offers. It never guesses: "what is love" and
"calculate __import__('os')" both abstain, because the text after the trigger is not
made of arithmetic alone (we abstain rather than pass code to the calculator, which
would refuse it anyway). `match` also says whether the whole prompt was served
(`confident`), which the hybrid planner uses to skip the model.
"""

from __future__ import annotations

import time

from pydantic import BaseModel, ConfigDict, Field

from crane_bench.runtime.models import MAX_PLAN_STEPS, Plan, PlanMeta, PlanResult, PlanStep
from crane_bench.runtime.planners.clauses import segment
from crane_bench.runtime.planners.references import resolve
from crane_bench.runtime.tools.plugin import RuleReader, ToolPlugin, ToolPlugins
from crane_bench.runtime.tools.registry import BUILTIN_TOOL_PLUGINS


class ClauseReading(BaseModel):
    """One clause of a prompt and what the rules made of it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    steps: list[PlanStep] | None
    """The clause's steps, or None when no rule served it (or it would overflow the plan)."""


class PatternMatch(BaseModel):
    """What the rules made of a prompt, and how sure they are."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    plan: Plan
    """The steps of every served clause, in prompt order (empty: abstain)."""
    confident: bool
    """True when every clause was served by a rule and the plan has at least one step."""
    unmatched: list[str] = Field(default_factory=list)
    """Clauses no rule served (or that did not fit in the plan's step limit)."""
    clauses: list[ClauseReading] = Field(default_factory=list)
    """Every clause in prompt order, served or not."""


class PatternPlanner:
    """Plans with the tools' ordered rule readers; implements the `Planner` protocol.

    Stateless and cheap: one instance can serve any number of concurrent plans.

    Args:
        plugins: The tools whose readers are tried (`ToolPlugin.rules`).
    """

    name = "pattern"

    def __init__(self, plugins: ToolPlugins = BUILTIN_TOOL_PLUGINS) -> None:
        self._readers: list[tuple[ToolPlugin, RuleReader]] = plugins.rule_readers()

    def _read_clause(self, clause: str) -> list[PlanStep] | None:
        """Steps for one clause from the first reader that serves it, else None."""
        for plugin, reader in self._readers:
            inputs = reader.read(clause)
            if inputs is not None:
                return [PlanStep(tool=plugin.name, input=i) for i in inputs]
        return None

    def match(self, prompt: str) -> PatternMatch:
        """Plan the prompt and report which clauses the rules served.

        Args:
            prompt: The user's request.

        Returns:
            The plan, whether every clause was served, and the clauses that were not.
        """
        clauses = segment(prompt, self._read_clause)
        steps: list[PlanStep] = []
        unmatched: list[str] = []
        readings: list[ClauseReading] = []
        for text, read in resolve([(clause.text, clause.result) for clause in clauses]):
            served = read
            if served is not None and len(steps) + len(served) > MAX_PLAN_STEPS:
                served = None  # would overflow the plan: left to others
            if served is None:
                unmatched.append(text)
            else:
                steps += served
            readings.append(ClauseReading(text=text, steps=served))
        if not clauses and prompt.strip():
            unmatched.append(prompt.strip())  # fillers only ("hi"): nothing to serve
        return PatternMatch(
            plan=Plan(steps=steps),
            confident=bool(steps) and not unmatched,
            unmatched=unmatched,
            clauses=readings,
        )

    def plan_sync(self, prompt: str) -> Plan:
        """Plan the prompt without the async wrapper or the metadata."""
        return self.match(prompt).plan

    async def plan(self, prompt: str) -> PlanResult:
        """Plan the prompt; never raises for any text (abstaining is a valid plan)."""
        start = time.perf_counter()
        plan = self.plan_sync(prompt)
        latency_ms = (time.perf_counter() - start) * 1000
        return PlanResult(plan=plan, meta=PlanMeta(planner=self.name, latency_ms=latency_ms))
