"""Anytime-valid tests of a suite's own rate: cases drawn without replacement from a finite suite.

A gate on a point estimate (`pattern plan_accuracy >= 0.8`) judges the rate over the
suite's N cases: the full run passes it when at least `a` of them are right. A sequential
run takes the cases in a seeded random order, so the cases so far are a sample drawn
without replacement from those N, and the question "will the full run pass?" is one about
a finite population: how many of its N cases, N⁺, are right. The outcomes seen so far
settle more of it the further the run goes (after half the suite, half of N⁺ is known),
which a test of an infinite population's rate (`evals.confseq`) cannot use; this is what
decides such a gate within half the suite when its rate lies a few points from the
threshold (Waudby-Smith and Ramdas 2020, "Confidence sequences for sampling without
replacement").

The test of "N⁺ <= m" after s right and f wrong is a likelihood ratio mixed over the
alternatives j > m,

    M = Σ_{j > m} w_j L(j) / max_{j' <= m} L(j'),   L(j) = [j]_s [N - j]_f / [N]_{s + f},

with [x]_k the falling factorial (L is the chance of the sequence seen when j of the N are
right) and w a beta-binomial prior Beta(kc, k(1 - c)) over j / N, c = (m + 1/2) / N, cut to
j > m and normalised. For every null count j' <= m, Σ w_j L(j) / L(j') is a nonnegative
martingale of mean 1 under N⁺ = j' (the ratio of a mixture's likelihood to the truth's),
and M is at most it, so M ever reaches 1/alpha with probability at most alpha (Ville's
inequality), however often it is looked at. "N⁺ >= m" is the mirror image (the wrong cases
counted instead). The prior's weight k is `evals.confseq.tuned_strength`'s, fixed before
the run. Inverting the tests over m gives bounds on the suite's rate.

The guarantee assumes, as every interval here does, that a case's outcome does not depend
on when it runs; it then covers a planner whose answers are random too (its outcomes on
the whole suite are a fixed if unknown population the order samples from).
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy.special import betaln, gammaln, logsumexp

from crane_bench.evals.confseq import FloatArray, IntArray, Side


def _falling(x: FloatArray, k: FloatArray) -> FloatArray:
    """Log [x]_k = log x! / (x - k)!, -inf where k > x (arrays broadcast)."""
    ok = k <= x
    inner = np.where(ok, x - k, 0.0)
    return np.asarray(np.where(ok, gammaln(x + 1) - gammaln(inner + 1), -np.inf))


def _above(
    s: FloatArray, f: FloatArray, m: FloatArray, population: int, strength: float
) -> FloatArray:
    """Log M against "N⁺ <= m", one value per row of s, f and m (one dimension each)."""
    n = population
    j = np.arange(n + 1, dtype=float)[None, :]
    s, f, m = s[:, None], f[:, None], m[:, None]
    centre = np.clip((m + 0.5) / n, 1e-9, 1 - 1e-9)
    a, b = strength * centre, strength * (1 - centre)
    prior = gammaln(n + 1) - gammaln(j + 1) - gammaln(n - j + 1) + betaln(j + a, n - j + b)
    alternative = j > m
    prior = np.where(alternative, prior, -np.inf)
    with np.errstate(invalid="ignore"):
        weights = prior - logsumexp(prior, axis=1, keepdims=True)
    likelihood = _falling(j, s) + _falling(n - j, f)
    with np.errstate(invalid="ignore"):
        mixed = logsumexp(np.where(alternative, weights + likelihood, -np.inf), axis=1)
    null = np.max(np.where(alternative, -np.inf, likelihood), axis=1)
    # No null count fits what was seen (more right than m): conclusive. No alternative
    # fits (m >= N, or more wrong than N - m - 1): no evidence at all.
    value = np.where(np.isneginf(mixed), -np.inf, mixed - null)
    return np.asarray(np.where(np.isneginf(null), np.inf, value))


def log_evidence(
    successes: np.ndarray,
    failures: np.ndarray,
    count: np.ndarray,
    population: int,
    side: Side,
    *,
    strength: float,
) -> FloatArray:
    """Log M against "N⁺ <= count" (`above`) or "N⁺ >= count" (`below`), per element.

    Args:
        successes: Right cases so far (one dimension; the arrays have the same length).
        failures: Wrong cases so far.
        count: The count m of the null hypothesis.
        population: N, the suite's cases.
        side: `above` shows that more than `count` are right; `below`, fewer.
        strength: The prior's weight in cases.
    """
    s = np.atleast_1d(np.asarray(successes, dtype=float))
    f = np.atleast_1d(np.asarray(failures, dtype=float))
    m = np.atleast_1d(np.asarray(count, dtype=float))
    if side == "below":  # the wrong cases are the right ones of the mirror image
        return _above(f, s, population - m, population, strength)
    return _above(s, f, m, population, strength)


def needed(population: int, count: int, side: Side, alpha: float, strength: float) -> FloatArray:
    """For t = 1..N cases, the fewest right (`above`) or wrong (`below`) ones that reject.

    More right cases never weaken the evidence that more than m are right (for j > j',
    L(j) / L(j') grows with them, and M is the least over j' of mixtures of such ratios;
    `tests/evals/test_confseq_finite.py` checks every count of a small suite), so a
    bisection per t finds the count. `inf` where none up to t rejects.
    """
    return np.array(_needed(int(population), int(count), side, float(alpha), float(strength)))


@cache
def _needed(
    population: int, count: int, side: Side, alpha: float, strength: float
) -> tuple[float, ...]:
    level = np.log(1.0 / alpha)
    t = np.arange(1, population + 1)
    m = np.full(population, count)

    def rejects(k: np.ndarray) -> np.ndarray:
        k = np.clip(k, 0, t)
        seen, other = (k, t - k) if side == "above" else (t - k, k)
        found = log_evidence(seen, other, m, population, side, strength=strength)
        return np.asarray(found >= level)

    hi = t.copy()
    possible = rejects(hi)
    lo = np.full(population, -1)
    while np.any(hi - lo > 1):
        mid = (lo + hi) // 2
        ok = rejects(mid) & (mid >= 0)
        hi, lo = np.where(ok, mid, hi), np.where(ok, lo, mid)
    return tuple(float(x) for x in np.where(possible, hi, np.inf))


def crossing(
    outcomes: np.ndarray, population: int, count: int, side: Side, alpha: float, *, strength: float
) -> IntArray:
    """The 1-based case count at which the test first rejects; 0 where it never does.

    Args:
        outcomes: Booleans in order along the last axis (one simulated run per row), at
            most `population` of them.
        population: N.
        count: The null's m: `above` rejects "N⁺ <= m", `below` rejects "N⁺ >= m".
        side: Which side to show.
        alpha: The error rate.
        strength: The prior's weight in cases.
    """
    x = np.asarray(outcomes, dtype=bool)
    n = x.shape[-1]
    if n == 0:
        return np.zeros(x.shape[:-1], dtype=np.int64)
    counted = np.cumsum(x if side == "above" else ~x, axis=-1)
    hit = counted >= needed(population, count, side, alpha, strength)[:n]
    return np.asarray(np.where(hit.any(axis=-1), hit.argmax(axis=-1) + 1, 0), dtype=np.int64)


def _largest_rejected(
    s: FloatArray, f: FloatArray, population: int, alpha: float, strength: float
) -> FloatArray:
    """Per sample size, the largest m whose "N⁺ <= m" is rejected (-1 when none is).

    A bisection: the evidence against "N⁺ <= m" falls as m grows (a larger null, fewer
    alternatives; checked at every m of a small suite in the tests).
    """
    level = np.log(1.0 / alpha)
    lo = np.full(s.shape, -1.0)  # "N⁺ <= -1" is false: rejected, as a sentinel
    hi = np.full(s.shape, float(population))  # "N⁺ <= N" is true: never rejected
    while np.any(hi - lo > 1):
        mid = np.floor((lo + hi) / 2)
        rejected = log_evidence(s, f, mid, population, "above", strength=strength) >= level
        lo, hi = np.where(rejected, mid, lo), np.where(rejected, hi, mid)
    return np.asarray(lo, dtype=float)


def bounds(
    outcomes: np.ndarray,
    population: int,
    alpha: float,
    strength: float,
    upper_strength: float | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Bounds on the suite's rate N⁺ / N after each outcome, running max and min.

    The lower bound is (m + 1) / N for the largest m whose "N⁺ <= m" is rejected, the
    upper its mirror; each alone holds at every sample size with probability 1 - alpha.
    `strength` is the prior's weight of the lower bound's tests, `upper_strength` that of
    the upper bound's (default the same).
    """
    up = strength if upper_strength is None else upper_strength
    x = np.asarray(outcomes, dtype=bool)
    if x.size == 0:
        return np.zeros(0), np.zeros(0)
    s = np.cumsum(x).astype(float)
    f = np.arange(1, x.size + 1) - s
    lower = (_largest_rejected(s, f, population, alpha, strength) + 1) / population
    upper = (population - 1 - _largest_rejected(f, s, population, alpha, up)) / population
    return np.maximum.accumulate(lower), np.minimum.accumulate(upper)
