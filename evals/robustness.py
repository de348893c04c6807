"""Robustness figures: how a planner does on perturbed variants against their originals.

A run with `--perturb` scores variants beside the cases they come from (rows with a
`perturbation` and a `source_case`). Per planner and perturbation this module pairs each
variant with its source, one majority verdict per case as in `evals.comparison`:

- `accuracy`: plan accuracy on the variants, with its Wilson 95% interval;
- `original_accuracy`: plan accuracy of the same sources, for the drop;
- `flip_rate`: of the pairs whose original was right, the share whose variant is wrong
  (with its interval); `flips` and `gains` count the two discordant cells;
- `test`: the exact McNemar test of variants against originals, and its verdict in words.

The gold metrics of a run are computed on the originals alone (`originals`), so adding
perturbations never changes them.
"""

from __future__ import annotations

from typing import Final

import pandas as pd
from pydantic import BaseModel, ConfigDict

from crane_bench.evals.comparison import Comparison, case_verdicts, compare_verdicts
from crane_bench.evals.stats import Interval, wilson_interval

ORIGINAL: Final = "original"


class RobustnessMetrics(BaseModel):
    """One planner under one perturbation, paired with the unperturbed cases."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    pairs: int
    """Variants paired with an original that this planner also ran."""
    accuracy: float
    """Plan accuracy on the variants (one majority verdict per variant)."""
    accuracy_ci: Interval
    original_accuracy: float
    """Plan accuracy on the originals of the same pairs."""
    original_accuracy_ci: Interval
    accuracy_drop: float
    """`original_accuracy - accuracy`: positive when the perturbation hurts."""
    flip_rate: float | None
    """Of the pairs right on the original, the share wrong on the variant; None if none."""
    flip_rate_ci: Interval | None
    flips: int
    """Pairs right on the original and wrong on the variant."""
    gains: int
    """Pairs wrong on the original and right on the variant."""
    test: Comparison
    """Exact McNemar, originals (`planner_a`) against variants (`planner_b`)."""
    verdict: str
    """The test's result in words, with the counts it rests on."""


def originals(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of unperturbed cases (all rows of a run without `--perturb`)."""
    if "perturbation" not in frame.columns:
        return frame
    return frame[frame["perturbation"].isna()]


def _verdict(test: Comparison, name: str) -> str:
    counts = f"{test.a_only} flips, {test.b_only} gains in {test.n_pairs} pairs"
    p = f"exact McNemar p = {test.p_value:.3g}"
    if test.winner == ORIGINAL:
        return f"{name} hurts: {counts} ({p})"
    if test.winner is not None:
        return f"{name} helps: {counts} ({p})"
    return f"no significant effect of {name}: {counts} ({p}); {test.detectable}"


def _rate(hits: int, n: int) -> tuple[float | None, Interval | None]:
    return (hits / n, wilson_interval(hits, n)) if n else (None, None)


def perturbation_metrics(
    original: pd.Series, variant: pd.Series, name: str
) -> RobustnessMetrics | None:
    """Pair per-case verdicts of originals (by case id) and variants (by source case id)."""
    right_before, right_after = original.align(variant, join="inner")
    n = len(right_before)
    if n == 0:
        return None
    test = compare_verdicts(right_before, right_after, planner_a=ORIGINAL, planner_b=name)
    before, after = int(right_before.sum()), int(right_after.sum())
    flip_rate, flip_ci = _rate(test.a_only, before)
    return RobustnessMetrics(
        pairs=n,
        accuracy=after / n,
        accuracy_ci=wilson_interval(after, n),
        original_accuracy=before / n,
        original_accuracy_ci=wilson_interval(before, n),
        accuracy_drop=(before - after) / n,
        flip_rate=flip_rate,
        flip_rate_ci=flip_ci,
        flips=test.a_only,
        gains=test.b_only,
        test=test,
        verdict=_verdict(test, name),
    )


def robustness_metrics(trials: pd.DataFrame) -> dict[str, RobustnessMetrics]:
    """Robustness of one planner's trials, by perturbation name (empty without variants)."""
    if "perturbation" not in trials.columns:
        return {}
    variants = trials[trials["perturbation"].notna()]
    if variants.empty:
        return {}
    original = case_verdicts(originals(trials))
    result: dict[str, RobustnessMetrics] = {}
    for name, rows in sorted(variants.groupby("perturbation"), key=lambda item: str(item[0])):
        verdicts = case_verdicts(rows)
        by_source = rows.drop_duplicates("case_id").set_index("case_id")["source_case"]
        verdicts.index = by_source.reindex(verdicts.index).to_numpy()
        metrics = perturbation_metrics(original, verdicts, str(name))
        if metrics is not None:
            result[str(name)] = metrics
    return result
