"""What a suite of n cases could have detected: power, minimum detectable effects, cases needed.

Every figure here is exact, computed by summing binomial probabilities; nothing is a normal
approximation, so the figures hold for the small suites and the lopsided rates evals have.

- Paired comparison (exact McNemar, `stats.mcnemar_exact`). Each case is discordant (one
  planner right, the other wrong) with probability `discordance`; a discordant case favours
  planner A with probability `(discordance + difference) / (2 * discordance)`, so the
  difference of the two accuracies is `difference`. The power is the chance that the
  two-sided exact test rejects at `alpha`, summed over the number of discordant cases
  (Connor 1987, "Sample size for testing differences in proportions for the paired-sample
  design", with the exact conditional test in place of his normal approximation). The
  minimum detectable effect (`mcnemar_mde`) is the smallest difference detected with 80%
  power; none exists when even a difference as large as the discordance itself (every
  disagreement favouring one planner) is detected less often than that.
- A gate on a rate (`rate_gate_resolution`): how far from its threshold the true rate must
  lie for the gate, as written (point estimate, or a bound of the Wilson 95% interval), to
  give the right verdict 80% of the time on either side.
- A gate comparing two planners' rates by their point estimates (`paired_gate_resolution`):
  the same for the sign of the difference on the paired cases.
- Two rates on different cases (`two_proportion_mde`, the load run's comparison with an
  unloaded run that shares no case): statsmodels' power of the two-sample z-test on
  Cohen's arcsine effect size h, turned back into a drop from the baseline rate.

Only the probable range of each binomial is summed (12 standard deviations either side of
its mean, well past where the remaining mass is below 1e-30), so a figure for a million
cases costs a few thousand terms.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Final, Literal

import numpy as np
from scipy.stats import binom
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_confint

POWER: Final = 0.8
"""The power every detectable effect is stated at."""
MAX_CASES: Final = 10_000_000
"""The most cases `mcnemar_cases_needed` looks for."""
_SPREAD: Final = 12.0
_TOLERANCE: Final = 1e-5
GateUse = Literal["point", "lower_bound", "upper_bound"]
GateOp = Literal[">=", "<=", ">", "<"]


def _window(n: int, p: float) -> np.ndarray:
    """The counts 0..n that carry the mass of Binomial(n, p), as an array."""
    sd = float(np.sqrt(n * p * (1 - p)))
    low = max(0, int(np.floor(n * p - _SPREAD * sd - 1)))
    high = min(n, int(np.ceil(n * p + _SPREAD * sd + 1)))
    return np.arange(low, high + 1)


def _check(n: int, share: float, what: str) -> None:
    if n < 1:
        raise ValueError(f"need at least one case, got {n}")
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"{what} must lie in [0, 1], got {share}")


def mcnemar_power(n: int, discordance: float, difference: float, alpha: float = 0.05) -> float:
    """Chance that the two-sided exact McNemar test at `alpha` finds `difference`.

    Args:
        n: Paired cases.
        discordance: Chance that a case is discordant (one planner right, one wrong).
        difference: The difference of the two accuracies, `0 <= difference <= discordance`.
        alpha: The test's significance level (it rejects when p < alpha, as
            `evals.comparison` does).

    Raises:
        ValueError: An argument is out of range.
    """
    _check(n, discordance, "discordance")
    if not 0.0 <= difference <= discordance:
        raise ValueError(f"need 0 <= difference <= discordance, got {difference}, {discordance}")
    if discordance == 0.0:
        return 0.0
    favour = min(1.0, (discordance + difference) / (2 * discordance))
    m = _window(n, discordance)
    # The largest count k with 2 * P(K <= k) < alpha under K ~ Binomial(m, 1/2): the test
    # rejects when the smaller discordant count is at most k (-1: it never rejects).
    critical = binom.ppf(alpha / 2, m, 0.5) - 1
    at_edge = binom.cdf(critical + 1, m, 0.5) < alpha / 2  # ppf's float rounding at the edge
    critical = np.where(at_edge, critical + 1, critical)
    reject = binom.cdf(critical, m, favour) + binom.sf(m - critical - 1, m, favour)
    reject = np.where(critical >= 0, reject, 0.0)
    return float(np.sum(binom.pmf(m, n, discordance) * reject))


def _smallest(found: Callable[[float], bool], high: float) -> float | None:
    """The smallest x in [0, high] with `found(x)`, for `found` false then true; None if never."""
    if not found(high):
        return None
    low = 0.0
    if found(low):
        return 0.0
    while high - low > _TOLERANCE:
        middle = (low + high) / 2
        low, high = (low, middle) if found(middle) else (middle, high)
    return high


def mcnemar_mde(
    n: int, discordance: float, alpha: float = 0.05, power: float = POWER
) -> float | None:
    """The smallest difference of accuracies the exact McNemar test finds with `power`.

    Args:
        n: Paired cases.
        discordance: Chance that a case is discordant.
        alpha: The test's significance level.
        power: The chance of finding it.

    Returns:
        The difference (0 to 1); None when no difference up to `discordance` is found
        that often (the suite is too small for planners that disagree this rarely).
    """
    _check(n, discordance, "discordance")
    if discordance == 0.0:
        return None
    return _smallest(lambda d: mcnemar_power(n, discordance, d, alpha) >= power, discordance)


def mcnemar_cases_needed(
    difference: float, discordance: float, alpha: float = 0.05, power: float = POWER
) -> int | None:
    """The fewest paired cases with which the exact McNemar test finds `difference`.

    The exact test's power rises with the number of cases in a saw-tooth; this is the
    smallest n at which it first reaches `power` (searched by doubling, then bisection).

    Returns:
        The number of cases; None when `difference` exceeds `discordance` (planners that
        disagree on a share d of the cases cannot differ by more than d) or more than
        `MAX_CASES` would be needed.
    """
    _check(1, discordance, "discordance")
    if not 0.0 < difference <= discordance:
        return None
    high = 1
    while mcnemar_power(high, discordance, difference, alpha) < power:
        if high >= MAX_CASES:
            return None
        high = min(high * 2, MAX_CASES)
    low = high // 2
    while high - low > 1:
        middle = (low + high) // 2
        if mcnemar_power(middle, discordance, difference, alpha) >= power:
            high = middle
        else:
            low = middle
    return high


def _passes(n: int, threshold: float, op: GateOp, use: GateUse) -> np.ndarray:
    """For each count k in 0..n, whether the gate passes on k of n."""
    k = np.arange(n + 1)
    if use == "point":
        value = k / n
    else:
        low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
        value = np.asarray(low if use == "lower_bound" else high, dtype=float)
        value = np.where(k == 0, 0.0, value) if use == "lower_bound" else value
        value = np.where(k == n, 1.0, value) if use == "upper_bound" else value
    compare: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
        ">=": np.greater_equal,
        ">": np.greater,
        "<=": np.less_equal,
        "<": np.less,
    }
    return compare[op](value, threshold)


def rate_gate_power(n: int, rate: float, threshold: float, op: GateOp, use: GateUse) -> float:
    """Chance that a gate on a rate passes when the true rate is `rate`, on n trials."""
    _check(n, rate, "rate")
    passes = _passes(n, threshold, op, use)
    k = _window(n, rate)
    return float(np.sum(binom.pmf(k, n, rate) * passes[k]))


def rate_gate_resolution(
    n: int, threshold: float, op: GateOp, use: GateUse = "point", power: float = POWER
) -> float | None:
    """How far the true rate must lie from `threshold` for the gate to be right `power` of the time.

    A gate `>=` should pass when the rate is above its threshold and fail when below; the
    resolution is the smallest distance d such that it passes with probability `power` at
    `threshold + d` and fails with probability `power` at `threshold - d` (a side beyond 0
    or 1 does not count). A gate on the lower bound of the Wilson interval fails readily
    below its threshold, so its resolution is how far above it the rate must be to pass.

    Returns:
        The distance (0 to 1); None when no rate in [0, 1] makes the gate right that often
        (e.g. a lower bound of 0.99 that even n of n correct does not reach), or when the
        threshold lies outside [0, 1].
    """
    if n < 1:
        raise ValueError(f"need at least one case, got {n}")
    if not 0.0 <= threshold <= 1.0:
        return None
    passes = _passes(n, threshold, op, use)
    upward = op in (">=", ">")

    def chance_pass(rate: float) -> float:
        k = _window(n, rate)
        return float(np.sum(binom.pmf(k, n, rate) * passes[k]))

    def right(distance: float, side: int) -> bool:
        rate = threshold + side * distance
        passing = (side > 0) == upward
        chance = chance_pass(rate)
        return (chance if passing else 1.0 - chance) >= power

    distances: list[float] = []
    for side, room in ((1, 1.0 - threshold), (-1, threshold)):
        if room <= 0.0 and (side > 0) != upward:
            continue  # no rate lies on the failing side of a threshold of 0 or 1
        found = _smallest(partial(right, side=side), room)
        if found is None:
            return None
        distances.append(found)
    return max(distances)


def paired_gate_resolution(
    n: int, discordance: float, op: GateOp, power: float = POWER
) -> float | None:
    """For a gate comparing two planners' rates on the same n cases by their point estimates.

    The gate `A >= B` passes when A is right alone on at least as many cases as B; this is
    the smallest difference of accuracies at which it gives the right verdict `power` of
    the time, either way round, when a share `discordance` of the cases are discordant.

    Returns:
        The difference; None when none up to `discordance` is resolved that often, or when
        the planners never disagree (then the gate cannot tell them apart at all).
    """
    _check(n, discordance, "discordance")
    if discordance == 0.0:
        return None
    upward = op in (">=", ">")
    strict = op in (">", "<")
    m = _window(n, discordance)
    weights = binom.pmf(m, n, discordance)

    def chance_pass(difference: float) -> float:
        favour = min(1.0, max(0.0, (discordance + difference) / (2 * discordance)))
        # A >= B on the paired cases: A's lone wins K against B's m - K, K >= m - K.
        if upward:
            least = np.floor(m / 2) + 1 if strict else np.ceil(m / 2)
            inside = binom.sf(least - 1, m, favour)
        else:
            most = np.ceil(m / 2) - 1 if strict else np.floor(m / 2)
            inside = binom.cdf(most, m, favour)
        return float(np.sum(weights * inside))

    def right(distance: float, side: int) -> bool:
        chance = chance_pass(side * distance)
        passing = (side > 0) == upward
        return (chance if passing else 1.0 - chance) >= power

    distances = [_smallest(partial(right, side=side), discordance) for side in (1, -1)]
    if any(d is None for d in distances):
        return None
    return max(d for d in distances if d is not None)


def two_proportion_mde(
    n: int, other_n: int, base: float, alpha: float = 0.05, power: float = POWER
) -> float | None:
    """The smallest drop from `base` that a two-sided two-sample z-test finds with `power`.

    Args:
        n: Cases on the side that may have dropped.
        other_n: Cases on the side whose rate is `base`.
        base: The rate the drop is measured from.
        alpha: The test's significance level.
        power: The chance of finding it.

    Returns:
        The drop (0 to `base`); None when even a drop to 0 is not found that often.
    """
    _check(n, base, "base")
    _check(other_n, base, "base")
    h = float(
        NormalIndPower().solve_power(
            effect_size=None, nobs1=n, alpha=alpha, power=power, ratio=other_n / n
        )
    )
    # h = 2 asin(sqrt(base)) - 2 asin(sqrt(lower)): the rate `lower` that lies h below base.
    angle = 2 * np.arcsin(np.sqrt(base)) - h
    if angle < 0:
        return None
    return float(base - np.sin(angle / 2) ** 2)
