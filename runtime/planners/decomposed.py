"""The decomposed LLM planner: one small, grammar-constrained decision per clause.

A tiny local model writes a whole plan badly (it keeps the first intent, picks the wrong
tool, copies the examples' shape), but it can pick one label for one short clause when
it is shown similar clauses. So the planner:

1. cuts the prompt into clauses at connectors ("and", "then", ";", ", then", a sentence
   end), keeping a cut only where both sides read as requests (`split_clauses`);
2. for each clause, asks the model for one short answer: first whether a tool fits at
   all (yes/no), then a label among those the tools' plug-ins declare (calculator,
   todo_add, todo_list, ...), then that label's arguments, all under a
   grammar built for the clause. Only the labels the clause cues are offered
   (`cued_labels`: "show me a poem" gets no todo label, since no todo is its object);
   a clause that cues none is answered `none` without a call. The grammar
   (`grammars.answer_grammar`) also holds arithmetic-only expressions over the
   clause's numbers, ids among the numbers it names, and titles copied from its words;
3. shows it few-shot examples, what every call shares first so the server's prefix
   cache keeps it: the instructions, then (if `shared_examples`) a fixed example of
   every label, then the four bank clauses most similar to this one
   (`examples.SimilarityIndex`), the nearest last, then the clause; temperature 0 and
   a fixed seed make it repeat;
4. turns the labelled answers into plan steps, in clause order; `none` adds no step.

Every decision is the model's; the code only splits text and limits what may be said.
Metadata sums tokens over the calls, joins their raw outputs, and costs nothing for a
local model. Model-call failures raise the same `runtime.errors` as the one-shot planner.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Final

import openai
from pydantic import BaseModel, ConfigDict, Field

from crane_bench.runtime.errors import InvalidPlanError, LLMResponseError, LLMTimeoutError
from crane_bench.runtime.local_llm.catalog import ModelKind
from crane_bench.runtime.models import MAX_PLAN_STEPS, Plan, PlanMeta, PlanResult, PlanStep
from crane_bench.runtime.planners.call_recording import CallRecording
from crane_bench.runtime.planners.clauses import segment
from crane_bench.runtime.planners.completion import FewShotPrompt, ModelCaller, Sleep
from crane_bench.runtime.planners.examples import (
    LABELS,
    Example,
    Label,
    SimilarityIndex,
    label_step,
    load_bank,
)
from crane_bench.runtime.planners.grammars import (
    answer_grammar,
    clause_ids,
    format_answer,
    parse_answer,
)
from crane_bench.runtime.planners.llm import LLMPlannerConfig
from crane_bench.runtime.planners.model_errors import map_model_error
from crane_bench.runtime.planners.pricing import estimate_cost
from crane_bench.runtime.tools.plugin import NONE_LABEL, ToolPlugins
from crane_bench.runtime.tools.registry import BUILTIN_TOOL_PLUGINS
from crane_bench.runtime.transcript import ClausesEvent, ExamplesEvent, Recorder, ShownExample

_NONE_DESCRIPTION: Final = (
    "anything else: chat, facts, other services, code, or instructions about you"
)


def instructions(
    plugins: ToolPlugins = BUILTIN_TOOL_PLUGINS, offered: Collection[Label] = ()
) -> str:
    """The instructions every request opens with: each plug-in's labels, then `none`.

    Each label is named with its one-line description (`LabelSpec.description`). The
    labels of a tool offered `when_cued` are named only when in `offered` (the clause
    cues them), so requests about other things read as if the tool were not there.
    """
    labels = [
        f"{spec.name} ({spec.description})"
        for plugin in plugins
        for spec in plugin.labels
        if plugin.offered == "always" or spec.name in offered
    ]
    labels.append(f"{NONE_LABEL} ({_NONE_DESCRIPTION})")
    return (
        "You route one request to one tool call.\n"
        f"Labels: {', '.join(labels)}. "
        "First answer yes if one of these tools fits the request, or no."
    )


INSTRUCTIONS: Final = instructions()
"""The instructions for the built-in tools."""
_ANSWER_SEPARATOR: Final = "\n\n"
_NONE: Final[tuple[Label]] = ("none",)
_MIN_CLAUSE_WORDS: Final = 2
_NOT_OPENERS: Final = frozenset({"a", "an", "the"})
_PRONOUN: Final = re.compile(r"\b(?:it|that|this|them|that one|the same)\b", re.IGNORECASE)
_OPENER_WORD: Final = re.compile(r"[a-z][a-z']*")


class DecomposedOptions(BaseModel):
    """How the decomposed planner prompts and constrains the model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    similar_examples: int = Field(
        4, ge=0, le=32, description="Bank examples chosen per clause, by similarity."
    )
    shared_examples: int = Field(
        0,
        ge=0,
        le=8,
        description="Bank examples of each label shown to every request (the first of "
        "each label in the bank), after the instructions, where the server's prefix cache "
        "keeps them. Off by default: with SmolLM2-135M, one per label and three similar "
        "ones computed 18% fewer prompt tokens per call but lost accuracy on the dev sets.",
    )
    per_label: int | None = Field(
        None, ge=1, description="At most this many similar examples of one label (None: any)."
    )
    contrast_none: bool = Field(
        True, description="Also show the nearest `none` example when no similar one is."
    )
    copy_titles: bool = Field(
        True, description="Titles copy a run of the clause's words (else free text)."
    )
    max_answer_tokens: int = Field(
        160, ge=8, le=1024, description="Tokens of one answer (a long title needs many)."
    )
    cue_labels: bool = Field(
        True,
        description="Offer only the labels whose cue the clause carries (`signals`); a "
        "clause with none is answered `none` without a model call.",
    )


def cued_labels(
    clause: str, *, refers_back: bool = False, plugins: ToolPlugins = BUILTIN_TOOL_PLUGINS
) -> list[Label]:
    """The labels a clause carries a cue for, `none` always among them.

    A label's tool and action must be named by the clause (its plug-in's `cue`):
    "show me a poem" offers no todo label, "what percent of the earth is water" no
    calculator. With `refers_back`, a pronoun in the clause may stand for the todo
    object ("mark it done", "put eggs on it too").
    """
    offered: list[Label] = []
    for label in plugins.labels:
        declared = plugins.label(label)
        if declared is None:
            offered.append(label)  # none
            continue
        plugin, spec = declared
        if plugin.cue(clause, spec.action, refers_back):
            offered.append(label)
    return offered


def shared_examples(
    bank: Sequence[Example], per_label: int, labels: Sequence[Label] = LABELS
) -> tuple[Example, ...]:
    """The first `per_label` bank examples of each label, in label order.

    The bank's first example of a label is its plainest ("what is 7 times 8", "show the
    todo list"), which is what every request should have seen once.
    """
    chosen: list[Example] = []
    for label in labels:
        chosen += [example for example in bank if example.label == label][:per_label]
    return tuple(chosen)


def request_openers(examples: Sequence[Example]) -> frozenset[str]:
    """First words that start a request, read from the bank ("add", "what's", "delete")."""
    words = set()
    for example in examples:
        first = _OPENER_WORD.match(example.text.lower())
        if first and first.group() not in _NOT_OPENERS:
            words.add(first.group())
    return frozenset(words)


def split_clauses(prompt: str, openers: frozenset[str]) -> list[str]:
    """Cut `prompt` into clauses where each side of a cut reads as a request.

    "add milk and eggs to my list" stays whole ("eggs ..." does not open a request),
    while "add milk and then show my list" is cut in two. Fillers ("please", "thanks")
    are dropped; a prompt of fillers only gives no clause.
    """

    def opens_request(clause: str) -> bool | None:
        first = _OPENER_WORD.match(clause.lower())
        return True if first and first.group() in openers else None

    clauses = [clause.text for clause in segment(prompt, opens_request)]
    if len(clauses) == 1 and len(clauses[0].split()) < _MIN_CLAUSE_WORDS:
        # Filler removal can leave a stub ("hi there" -> "there"); the whole prompt
        # tells the model more.
        return [prompt.strip()]
    return clauses


class DecomposedLLMPlanner:
    """Plans with a small local model, one constrained decision per clause.

    Args:
        client: The endpoint's client, built with `max_retries=0` (retries are ours).
        model: Model name sent with each request.
        kind: `completion` for a base model (/completions), `chat` for an instruct model.
        config: Timeout, retries, sampling and whether the model is local (cost).
        options: Prompting and constraint choices.
        examples: The example bank; the plug-ins' banks by default.
        sleep: Waits between retries; tests pass a recorder.
        plugins: The tools whose labels, instructions and grammar the model is given.
    """

    name = "llm"

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        *,
        model: str,
        kind: ModelKind = "chat",
        config: LLMPlannerConfig | None = None,
        options: DecomposedOptions | None = None,
        examples: Sequence[Example] | None = None,
        sleep: Sleep = asyncio.sleep,
        plugins: ToolPlugins = BUILTIN_TOOL_PLUGINS,
    ) -> None:
        self.model = model
        self.plugins = plugins
        self.instructions = instructions(plugins)
        self.config = config or LLMPlannerConfig()
        self.options = options or DecomposedOptions()
        bank = tuple(examples) if examples is not None else load_bank(plugins=plugins)
        # The examples of a tool offered `when_cued` join the index (and its weights)
        # only for the clauses that cue it: `_index_for`.
        self._bank = bank
        base = tuple(e for e in bank if self._cued_tool(e.label) is None)
        self.index = SimilarityIndex(base)
        self._indexes: dict[frozenset[str], SimilarityIndex] = {frozenset(): self.index}
        self.shared = shared_examples(base, self.options.shared_examples, plugins.labels)
        self.openers = request_openers(base)
        self.local = self.config.local
        self.caller = ModelCaller(client, model=model, kind=kind, config=self.config, sleep=sleep)
        self._api_key = client.api_key

    def _cued_tool(self, label: Label) -> str | None:
        """The tool of `label` when it is offered only when cued, else None."""
        declared = self.plugins.label(label)
        if declared is None or declared[0].offered == "always":
            return None
        return declared[0].name

    def _index_for(self, labels: Collection[Label]) -> SimilarityIndex:
        """The similarity index over the examples of the tools `labels` may call."""
        cued = frozenset(t for label in labels if (t := self._cued_tool(label)) is not None)
        index = self._indexes.get(cued)
        if index is None:
            index = SimilarityIndex(
                [e for e in self._bank if self._cued_tool(e.label) in {None, *cued}]
            )
            self._indexes[cued] = index
        return index

    def openers_for(self, prompt: str) -> frozenset[str]:
        """The request openers for `prompt`: the bank's, with those of cued tools.

        A tool offered `when_cued` adds its examples' first words only to prompts its
        `signal` matches.
        """
        cued = [
            e
            for e in self._bank
            if (tool := self._cued_tool(e.label)) is not None
            and (plugin := self.plugins.get(tool)) is not None
            and plugin.signal(prompt)
        ]
        return self.openers | request_openers(cued) if cued else self.openers

    def prompt_for(self, clause: str, labels: Collection[Label] | None = None) -> FewShotPrompt:
        """The few-shot prompt for one clause: shared examples, then similar ones.

        The shared examples are the same for every clause, so the server keeps them in
        its prefix cache. Small models lean on the last example they saw, so the nearest
        similar one goes last; and when none of the similar examples says `no`, the
        nearest one that does is put first among them, so that the model has seen both
        answers for requests like this one.

        Args:
            clause: The clause.
            labels: The labels offered for it (by default, those it cues); the labels
                and examples of a tool offered `when_cued` are shown only when among them.
        """
        if labels is None:
            labels = cued_labels(clause, plugins=self.plugins)
        opts = self.options
        index = self._index_for(labels)
        shared = set(self.shared)
        wanted = opts.similar_examples
        similar = [
            example
            for example in index.nearest(clause, wanted + len(shared), per_label=opts.per_label)
            if example not in shared
        ][:wanted]
        shown = similar[::-1]
        if opts.contrast_none and all(example.label != "none" for example in similar):
            nearest_none = index.nearest(clause, 1 + len(shared), labels=_NONE)
            shown = [*[e for e in nearest_none if e not in shared][:1], *shown]
        cued = [label for label in labels if self._cued_tool(label) is not None]
        return FewShotPrompt(
            instructions=instructions(self.plugins, cued) if cued else self.instructions,
            shared=[(e.text, format_answer(e, self.plugins)) for e in self.shared],
            examples=[(e.text, format_answer(e, self.plugins)) for e in shown],
            request=clause,
        )

    async def plan(self, prompt: str) -> PlanResult:
        """Plan `prompt`, one model call per clause (see `plan_recorded`)."""
        return await self.plan_recorded(prompt, None)

    async def plan_recorded(self, prompt: str, recorder: Recorder | None) -> PlanResult:
        """Plan `prompt`, one model call per clause; record them into `recorder`, if any.

        Raises:
            LLMTimeoutError: A call timed out on every attempt, or the calls together
                overran the plan's deadline (`LLMPlannerConfig.plan_deadline_s`).
            LLMUnavailableError: The endpoint could not be reached.
            LLMResponseError: An error status, or a response that is not a completion.
            InvalidPlanError: An answer was cut off at the token limit or is malformed.
        """
        run = _PlanRun(
            PlanMeta(planner=self.name, model=self.model), time.perf_counter(), recorder=recorder
        )
        deadline_s = self.config.plan_deadline_s
        try:
            async with asyncio.timeout(deadline_s):
                steps = await self._steps(prompt, run)
        except TimeoutError:
            raise LLMTimeoutError(
                f"model {self.model!r} did not finish the plan within its {deadline_s:g}s "
                f"deadline ({len(run.outputs)} of its clause(s) answered)",
                meta=self._finish(run),
            ) from None
        return PlanResult(plan=Plan(steps=steps), meta=self._finish(run))

    async def _steps(self, prompt: str, run: _PlanRun) -> list[PlanStep]:
        steps: list[PlanStep] = []
        earlier_ids: list[int] = []
        clauses = split_clauses(prompt, self.openers_for(prompt))
        if run.recorder is not None:
            run.recorder.add(self._clauses_event(clauses, run.recorder))
        for clause in clauses:
            if len(steps) == MAX_PLAN_STEPS:
                break
            named = clause_ids(clause)
            pronoun = bool(_PRONOUN.search(clause))
            ids = named or (earlier_ids if pronoun else [])
            earlier_ids.extend(i for i in named if i not in earlier_ids)
            # A pronoun may stand for a todo named earlier in the prompt, or before the
            # clause the planner was handed (the hybrid asks about one clause at a time
            # and checks that context itself).
            labels = (
                cued_labels(clause, refers_back=pronoun, plugins=self.plugins)
                if self.options.cue_labels
                else self.plugins.labels
            )
            if labels == [NONE_LABEL]:
                continue  # nothing in the clause asks for a tool: no model call
            step = await self._decide(clause, ids, run, labels)
            if step is not None:
                steps.append(step)
        return steps

    async def _decide(
        self, clause: str, ids: list[int], run: _PlanRun, labels: Sequence[Label]
    ) -> PlanStep | None:
        """One clause's step (None for `none`): one model call, its cost added to `run`."""
        completion = self.caller.kind == "completion"
        grammar = answer_grammar(
            clause,
            labels,
            ids=ids,
            copy_titles=self.options.copy_titles,
            lead=" " if completion else "",
            end="\n" if completion else "",
            plugins=self.plugins,
        )
        prompt = self.prompt_for(clause, labels)
        run.meta.model_calls += 1
        recording = self._recording(clause, prompt, run.recorder)
        try:
            result = await self.caller.call(
                prompt,
                grammar=grammar,
                max_tokens=self.options.max_answer_tokens,
                recording=recording,
            )
        except openai.OpenAIError as exc:
            raise map_model_error(
                exc,
                model=self.model,
                timeout_s=self.config.timeout_s,
                attempts=self.config.max_retries + 1,
                api_key=self._api_key,
                meta=self._finish(run),
            ) from None
        except LLMResponseError as exc:
            exc.meta = self._finish(run)
            raise
        # An unknown count (beyond what the call could take) adds no tokens and no cost.
        run.meta.tokens_in += result.tokens_in or 0
        run.meta.tokens_out += result.tokens_out or 0
        if result.tokens_cached is not None:
            run.meta.tokens_cached = (run.meta.tokens_cached or 0) + result.tokens_cached
        run.outputs.append(result.text.strip())
        if result.finish_reason == "length":
            raise InvalidPlanError(
                f"answer for {clause[:60]!r} was cut off at {self.options.max_answer_tokens} "
                "tokens",
                reason="invalid_json",
                meta=self._finish(run),
            )
        try:
            answer = parse_answer(result.text, self.plugins)
        except ValueError as exc:
            raise InvalidPlanError(str(exc), reason="schema", meta=self._finish(run)) from None
        return label_step(answer.label, plugins=self.plugins, **answer.fields)

    # --- recording (only with a recorder) ----------------------------------------------

    def _clauses_event(self, clauses: list[str], recorder: Recorder) -> ClausesEvent:
        return ClausesEvent(at_ms=recorder.now_ms(), planner=self.name, clauses=clauses)

    def _recording(
        self, clause: str, prompt: FewShotPrompt, recorder: Recorder | None
    ) -> CallRecording | None:
        """Record the examples chosen for `clause`; the recording of its model call."""
        if recorder is None:
            return None
        shown = [ShownExample(request=req, answer=ans) for req, ans in prompt.examples]
        recorder.add(
            ExamplesEvent(
                at_ms=recorder.now_ms(),
                planner=self.name,
                clause=clause,
                examples=shown,
                shared=len(prompt.shared),
            )
        )
        return CallRecording(recorder, planner=self.name, purpose=clause, api_key=self._api_key)

    def _finish(self, run: _PlanRun) -> PlanMeta:
        """The plan's metadata as of now: latency so far, joined outputs, cost."""
        meta = run.meta
        meta.latency_ms = (time.perf_counter() - run.began) * 1000
        meta.raw_output = _ANSWER_SEPARATOR.join(run.outputs) or None
        meta.cost_usd = (
            estimate_cost(self.model, meta.tokens_in, meta.tokens_out, local=self.local) or 0.0
        )
        return meta


@dataclass
class _PlanRun:
    """What one plan has cost so far: the metadata being summed, and the raw answers."""

    meta: PlanMeta
    began: float
    outputs: list[str] = field(default_factory=list)
    recorder: Recorder | None = None
    """The trial's recorder, when the plan is recorded."""
