"""Figures of the hand-written robustness sets, from each set's eval run.

What, per set and planner (`crane-bench robustness` prints them and writes them to
`robustness_sets.json`):

- **Paraphrase sets** (cases `X-N-orig` / `X-N-para`, tags `[original, pair-N]` /
  `[paraphrase, pair-N]`, the same expected plan): the unit is the pair. Each case gets
  one verdict, `plan_correct` (the whole plan right: tools, count, inputs; a majority
  over repeats if there were any). The paired figures are the eval's robustness figures
  of variants against originals (`evals.robustness.perturbation_metrics`, as for
  `crane-bench eval --perturb`): accuracy on the originals and on the paraphrases, each
  with its Wilson 95% interval; the drop in points; flips (original right, paraphrase
  wrong) and gains (the reverse); the exact McNemar test over the pairs and its verdict
  in words. Beside them, the flipped and gained pairs' case ids, to read their
  transcripts with `crane-bench show`.
- **Out-of-domain sets** (every case expects no step): false actions are the trials
  whose plan has any step, valid or not, k/n with the Wilson 95% interval (clustered by
  case when cases were repeated); each one's case id, prompt and tools. Beside it, the
  metric registry's `false_action_rate` numerator (valid plans with a step: what the
  gates count) and the trials that ended with no plan (planner error or timeout).

The statistics are the project's own: majority verdicts per case and the exact McNemar
test (`evals.comparison`), paired figures (`evals.robustness`), Wilson and clustered
intervals (`evals.stats`).
"""

from __future__ import annotations

import re
from typing import Final, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict

from crane_bench.evals.comparison import case_verdicts
from crane_bench.evals.errors import RobustnessSetError
from crane_bench.evals.figures import rate_figure
from crane_bench.evals.metrics import metric_column
from crane_bench.evals.results import OutcomeClass
from crane_bench.evals.robustness import perturbation_metrics
from crane_bench.evals.robustness_sets import SetKind, SetRun
from crane_bench.evals.stats import Interval

PAIR_TAG: Final = re.compile(r"^pair-\S+$")
ROLE_TAGS: Final = ("original", "paraphrase")
FALSE_ACTION_COLUMN: Final = metric_column("false_action_rate")
ANY_STEP_COLUMN: Final = metric_column("any_step_rate")
NO_PLAN: Final = frozenset({OutcomeClass.PLANNER_ERROR.value, OutcomeClass.TIMEOUT.value})


class PairRef(BaseModel):
    """One paraphrase pair: its tag and the ids of its two cases."""

    model_config = ConfigDict(extra="forbid")

    pair: str
    original: str
    paraphrase: str


class ParaphraseFigures(BaseModel):
    """One planner on the pairs of a paraphrase set (one majority verdict per case)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    kind: Literal["paraphrase"] = "paraphrase"
    pairs: int
    """Pairs whose two halves this planner ran."""
    unpaired: int
    """Cases left out because the planner did not run the other half."""
    original_correct: int
    original_accuracy: float
    original_ci: Interval
    """Wilson 95% interval."""
    paraphrase_correct: int
    paraphrase_accuracy: float
    paraphrase_ci: Interval
    drop_points: float
    """(original - paraphrase accuracy) x 100: positive when the rewording hurts."""
    flips: int
    """Pairs right on the original and wrong on the paraphrase."""
    gains: int
    """Pairs wrong on the original and right on the paraphrase."""
    p_value: float
    """Two-sided exact McNemar on flips and gains."""
    verdict: str
    flipped: list[PairRef]
    gained: list[PairRef]


class FalseAction(BaseModel):
    """A trial that planned a step for a prompt that needs none."""

    model_config = ConfigDict(extra="forbid")

    case_id: str
    repeat: int
    prompt: str
    tools: list[str]
    outcome: str


class OodFigures(BaseModel):
    """One planner on an out-of-domain set, where every case expects no step."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    kind: Literal["ood"] = "ood"
    trials: int
    cases: int
    false_actions: int
    """Trials whose plan had any step, valid or not (the registry's `any_step_rate`)."""
    false_action_rate: float
    false_action_ci: Interval
    """Wilson 95% interval, clustered by case when cases were repeated."""
    metric_false_actions: int
    """The registry's `false_action_rate` numerator (a valid plan with a step): what
    `summary.json` and the gates count. It differs only by invalid plans with steps."""
    no_plan: int
    """Trials that ended without a plan (planner error or timeout): neither acted nor
    abstained."""
    actions: list[FalseAction]


def pair_map(trials: pd.DataFrame, name: str) -> dict[str, PairRef]:
    """Pair tag -> its cases, from the tags `[original|paraphrase, pair-N]` of each case.

    Raises:
        RobustnessSetError: A case lacks the tags, or a pair has two cases of one role.
    """
    halves: dict[str, dict[str, str]] = {}
    for case_id, tags in trials.drop_duplicates("case_id")[["case_id", "tags"]].itertuples(
        index=False
    ):
        pairs = [tag for tag in tags if PAIR_TAG.match(tag)]
        roles = [tag for tag in tags if tag in ROLE_TAGS]
        if len(pairs) != 1 or len(roles) != 1:
            raise RobustnessSetError(
                f"{name}: case {case_id} needs one pair-N tag and one of original, paraphrase"
            )
        seen = halves.setdefault(pairs[0], {})
        if roles[0] in seen:
            raise RobustnessSetError(f"{name}: {pairs[0]} has two {roles[0]} cases")
        seen[roles[0]] = str(case_id)
    return {
        pair: PairRef(pair=pair, original=cases["original"], paraphrase=cases["paraphrase"])
        for pair, cases in halves.items()
        if len(cases) == 2
    }


def paraphrase_figures(trials: pd.DataFrame, pairs: dict[str, PairRef]) -> ParaphraseFigures | None:
    """One planner's figures on a paraphrase set; None when it ran no whole pair."""
    verdicts = case_verdicts(trials)
    both = [ref for ref in pairs.values() if {ref.original, ref.paraphrase} <= set(verdicts.index)]
    original = pd.Series({ref.pair: bool(verdicts[ref.original]) for ref in both}, dtype=bool)
    variant = pd.Series({ref.pair: bool(verdicts[ref.paraphrase]) for ref in both}, dtype=bool)
    found = perturbation_metrics(original, variant, "paraphrase")
    if found is None:
        return None
    return ParaphraseFigures(
        pairs=found.pairs,
        unpaired=len(verdicts) - 2 * len(both),
        original_correct=int(original.sum()),
        original_accuracy=found.original_accuracy,
        original_ci=found.original_accuracy_ci,
        paraphrase_correct=int(variant.sum()),
        paraphrase_accuracy=found.accuracy,
        paraphrase_ci=found.accuracy_ci,
        drop_points=100 * found.accuracy_drop,
        flips=found.flips,
        gains=found.gains,
        p_value=found.test.p_value,
        verdict=found.verdict,
        flipped=[ref for ref in both if original[ref.pair] and not variant[ref.pair]],
        gained=[ref for ref in both if variant[ref.pair] and not original[ref.pair]],
    )


def ood_figures(trials: pd.DataFrame, name: str) -> OodFigures:
    """One planner's false actions on an out-of-domain set.

    Raises:
        RobustnessSetError: A case of the set expects a step.
    """
    expecting = trials.loc[~trials["expected_abstain"], "case_id"]
    if not expecting.empty:
        raise RobustnessSetError(
            f"{name}: case {expecting.iloc[0]} expects a step; ood cases don't"
        )
    # The registry's any_step_rate: a plan with any step, valid or not, clustered by case.
    acted = trials[ANY_STEP_COLUMN] == 1
    figure = rate_figure(trials[ANY_STEP_COLUMN], trials["case_id"])
    if figure.value is None or figure.ci is None or figure.n is None:
        raise RobustnessSetError(f"{name}: no trial to count")
    rows = trials[acted].sort_values(["case_id", "repeat"])
    return OodFigures(
        trials=figure.n,
        cases=int(trials["case_id"].nunique()),
        false_actions=int(acted.sum()),
        false_action_rate=figure.value,
        false_action_ci=figure.ci,
        metric_false_actions=int((trials[FALSE_ACTION_COLUMN] == 1).sum()),
        no_plan=int(trials["outcome"].isin(NO_PLAN).sum()),
        actions=[
            FalseAction(
                case_id=str(row["case_id"]),
                repeat=int(row["repeat"]),
                prompt=str(row["prompt"]),
                tools=list(row["tools"]),
                outcome=str(row["outcome"]),
            )
            for row in rows.to_dict("records")
        ],
    )


PlannerFigures = ParaphraseFigures | OodFigures


class SetFigures(BaseModel):
    """Every planner's figures on one set file."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    set: str
    """The set file's stem."""
    kind: SetKind
    run_dir: str
    cases_sha256: str
    """sha256 of the set file the run read (from its spec.json)."""
    repeats: int
    """Most trials of one case by one planner."""
    planners: dict[str, PlannerFigures]
    """Planner label -> its figures; a planner with no whole pair is left out."""


def set_figures(run: SetRun, labels: list[str] | None = None) -> SetFigures:
    """The figures of every planner (or of `labels`) in one set's run.

    Raises:
        RobustnessSetError: The set's cases do not have its kind's shape.
    """
    trials = run.trials
    pairs = pair_map(trials, run.name) if run.kind == "paraphrase" else {}
    figures: dict[str, PlannerFigures] = {}
    for planner, rows in sorted(trials.groupby("planner"), key=lambda item: str(item[0])):
        if labels is not None and planner not in labels:
            continue
        if run.kind == "ood":
            figures[str(planner)] = ood_figures(rows, run.name)
        elif (found := paraphrase_figures(rows, pairs)) is not None:
            figures[str(planner)] = found
    return SetFigures(
        set=run.name,
        kind=run.kind,
        run_dir=str(run.path),
        cases_sha256=run.cases_sha256,
        repeats=int(trials.groupby(["planner", "case_id"]).size().max()),
        planners=figures,
    )


class RobustnessSetsReport(BaseModel):
    """What `robustness_sets.json` holds: the command's arguments and each set's figures."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    version: int = 1
    argv: list[str]
    """The arguments this was made with (`crane-bench robustness ...`)."""
    sets: list[SetFigures]
