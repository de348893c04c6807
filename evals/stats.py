"""The statistics behind the numbers in a run's summary: pure functions, no state.

- `wilson_interval`: a confidence interval for a rate (statsmodels' Wilson score interval).
  It stays inside [0, 1] and keeps sensible width at 0/n and n/n, where the normal
  approximation collapses to a zero-width interval.
- `clustered_interval`: the same for repeated trials of the same cases, at the effective
  sample size that clustering by case gives (repeats are not new cases).
- `mcnemar_exact`: the exact McNemar test for two planners scored on the same cases
  (statsmodels, a two-sided binomial test on the discordant pairs).
- `pass_at_k` and `pass_hat_k`: per-case estimators over repeated trials. pass@k is the
  chance that at least one of k trials is right (the unbiased estimator of Chen et al.
  2021, "Evaluating Large Language Models Trained on Code"); pass^k is the chance that all
  k are right (tau-bench, Yao et al. 2024). Both draw k of the n trials without replacement.
- `percentiles`: numpy's default linear interpolation between order statistics (method 7
  of Hyndman and Fan), so p99 of a small sample lies between its two largest values
  rather than jumping to the maximum.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import comb

import numpy as np
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

Interval = tuple[float, float]
"""A confidence interval: (lower, upper)."""

NO_DATA_INTERVAL = (0.0, 1.0)
"""The interval of a rate measured on no trials: it could be anything."""


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for `successes` out of `n`.

    With `n == 0` the interval is `(0.0, 1.0)`: nothing is known, and unlike NaN it can
    be written to JSON. Summaries report an undefined rate as `None` instead of calling
    this (see `evals.metrics`).

    Args:
        successes: Trials that succeeded, `0 <= successes <= n`.
        n: Trials.
        confidence: Coverage of the interval, strictly between 0 and 1.

    Returns:
        `(lower, upper)` within [0, 1]; exactly 0 at 0/n and exactly 1 at n/n.

    Raises:
        ValueError: The counts or the confidence are out of range.
    """
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence}")
    if n == 0:
        return NO_DATA_INTERVAL
    low, high = proportion_confint(successes, n, alpha=1.0 - confidence, method="wilson")
    # At 0/n and n/n the exact bound is 0 or 1; the library's arithmetic leaves ~1e-18 off.
    low = 0.0 if successes == 0 else max(0.0, float(low))
    high = 1.0 if successes == n else min(1.0, float(high))
    return low, high


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided p-value of the exact McNemar test on the discordant counts.

    Args:
        b: Pairs that A got right and B got wrong.
        c: Pairs that A got wrong and B got right.

    Returns:
        The p-value; 1.0 when there are no discordant pairs (nothing tells A and B apart).

    Raises:
        ValueError: A count is negative.
    """
    if b < 0 or c < 0:
        raise ValueError(f"discordant counts must be >= 0, got b={b}, c={c}")
    if b + c == 0:
        return 1.0
    # Concordant cells do not enter the exact test, so zeros stand in for them.
    result = mcnemar([[0, b], [c, 0]], exact=True)
    return min(1.0, float(result.pvalue))


def _check_counts(n: int, c: int, k: int) -> None:
    if not 0 <= c <= n:
        raise ValueError(f"need 0 <= c <= n, got c={c}, n={n}")
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n, got k={k}, n={n}")


def pass_at_k(n: int, c: int, k: int) -> float:
    """Chance that at least one of k trials, drawn from n with c right, is right.

    The unbiased estimator `1 - C(n-c, k) / C(n, k)`, in exact integer arithmetic.

    Args:
        n: Trials of the case.
        c: Right trials among them.
        k: Trials drawn, `1 <= k <= n`.

    Raises:
        ValueError: The counts are out of range.
    """
    _check_counts(n, c, k)
    return 1.0 - comb(n - c, k) / comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """Chance that all of k trials, drawn from n with c right, are right: `C(c, k) / C(n, k)`.

    Args:
        n: Trials of the case.
        c: Right trials among them.
        k: Trials drawn, `1 <= k <= n`.

    Raises:
        ValueError: The counts are out of range.
    """
    _check_counts(n, c, k)
    return comb(c, k) / comb(n, k)


def percentiles(
    values: Sequence[float], qs: Sequence[float] = (50.0, 95.0, 99.0)
) -> tuple[float, ...]:
    """Percentiles of `values` by linear interpolation (numpy's default method).

    Args:
        values: At least one number.
        qs: Percentiles wanted, each in [0, 100].

    Returns:
        One value per entry of `qs`, in order.

    Raises:
        ValueError: `values` is empty or a percentile is out of range.
    """
    if len(values) == 0:
        raise ValueError("percentiles of an empty sample are undefined")
    if any(not 0.0 <= q <= 100.0 for q in qs):
        raise ValueError(f"percentiles must lie in [0, 100], got {list(qs)}")
    result = np.percentile(np.asarray(values, dtype=float), list(qs), method="linear")
    return tuple(float(x) for x in result)


def clustered_interval(
    successes: Sequence[int], trials: Sequence[int], confidence: float = 0.95
) -> tuple[float, float]:
    """Interval for a rate measured on repeated trials of the same cases.

    Repeats of one case are not new cases: a deterministic planner run 20 times over 191
    cases holds the information of 191 trials, not 3,820. The rate's variance is
    estimated with the trials clustered by case (the cluster-robust sandwich estimator,
    with the usual C/(C-1) small-sample factor; Miller 2024, "Adding Error Bars to
    Evals"), which gives the design effect: how many times larger it is than if every
    trial were independent. The interval is the Wilson interval at the effective sample
    size, `n / design effect`, kept between the number of cases (every repeat agrees) and
    the number of trials (repeats as good as new cases). With one trial per case this is
    `wilson_interval` exactly.

    Args:
        successes: Per case, the trials that succeeded.
        trials: Per case, the trials run (each >= 1), in the same order.
        confidence: Coverage of the interval.

    Raises:
        ValueError: The sequences differ in length, or a count is out of range.
    """
    if len(successes) != len(trials):
        raise ValueError("successes and trials must have one entry per case")
    if any(n < 1 or not 0 <= k <= n for k, n in zip(successes, trials, strict=True)):
        raise ValueError("every case needs trials >= 1 and 0 <= successes <= trials")
    n, k, cases = sum(trials), sum(successes), len(trials)
    if cases == 0:
        return NO_DATA_INTERVAL
    if n == cases:
        return wilson_interval(k, n, confidence)
    p = k / n
    if p in (0.0, 1.0):
        effective = float(cases)  # no variance to apportion: count the cases, not the trials
    else:
        residuals = np.asarray(successes, float) - p * np.asarray(trials, float)
        small_sample = cases / (cases - 1) if cases > 1 else 1.0
        clustered = small_sample * float(np.sum(residuals**2)) / n**2
        independent = p * (1 - p) / n
        ratio = n * independent / clustered if clustered > 0 else float(n)
        effective = min(float(n), max(float(cases), ratio))
    low, high = proportion_confint(p * effective, effective, alpha=1 - confidence, method="wilson")
    low = 0.0 if k == 0 else max(0.0, float(low))
    high = 1.0 if k == n else min(1.0, float(high))
    return low, high
