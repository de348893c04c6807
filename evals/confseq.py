"""Anytime-valid tests and confidence sequences for a rate, from beta-binomial mixtures.

A confidence sequence is a sequence of intervals that holds the true rate at every sample
size at once, with probability at least 1 - alpha: so a run may be looked at after every
trial and stopped whenever its intervals say enough, without the error rate growing as a
fixed-sample (Wilson) interval checked again and again would let it (Howard, Ramdas,
McAuliffe and Sekhon 2021, "Time-uniform, nonparametric, nonasymptotic confidence
sequences"; Waudby-Smith and Ramdas 2023, "Estimating means of bounded random variables by
betting").

Here the trials are Bernoulli (right or wrong), and the test of "the rate is at most θ"
is a likelihood ratio mixed over the alternatives: with S successes and F failures,

    M(θ) = ∫_{q > θ} q^S (1 - q)^F dπ(q) / (θ^S (1 - θ)^F),

π a Beta(kθ, k(1 - θ)) prior, centred on θ with the weight of k cases, cut to q > θ.
Under any rate at most θ, M is a nonnegative supermartingale starting at 1, so by Ville's
inequality it ever reaches 1/alpha with probability at most alpha: crossing 1/alpha shows
"above θ" at level alpha, however often it was looked at. The integral is closed form, a
Beta function times an incomplete Beta function (`scipy.special.betaln`, `betaincc`). "At
least θ" is the mirror image. Inverting the tests over θ gives the lower and upper
confidence sequences; their running maximum and minimum are reported.

Why this and not a library: `confseq` (Howard's) is a C++ source build (pybind11 2.6,
Boost) that pulls matplotlib and pytest in at run time; `expectation` has no release that
installs on this Python; `savvi` computes the same Dirichlet-multinomial mixture but needs
cvxpy and its solvers for the interval, which here is a one-dimensional search. The few
lines below are checked against simulation in `tests/evals/test_confseq.py`.

Why this prior's weight: the guarantee holds for any k fixed before the data, and k sets
where the boundary is tightest: a small k decides clear cases soonest, a large one decides
close cases late. k is chosen by a rule fixed in advance, never on results (Howard et al.
2021, section 3.5, tune the mixture to a target sample size): `tuned_strength` takes the
k whose boundary is narrowest after `target` trials (half the suite, in a run), for the
threshold and side being tested. For 0.8 and 112 trials that is k = 15.9 (boundary 0.896);
the previous fixed k = 5 gave 0.900 there: a small gain, since no mixture can make 112
trials say much more (`evals.confseq_finite` is what decides a suite's gates sooner).
"""

from __future__ import annotations

from functools import cache
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
from scipy.optimize import brentq, minimize_scalar
from scipy.special import betaincc, betaln

Side = Literal["above", "below"]
"""What a test shows: the rate lies above its threshold, or below it."""
STRENGTH: Final = 5.0
"""The prior's weight in cases when none is tuned (the tests of this module's edges)."""
_WEIGHTS: Final = (0.5, 1000.0)
"""The range of prior weights `tuned_strength` searches, in multiples of the target."""
_BISECTIONS: Final = 20

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _above(s: FloatArray, f: FloatArray, theta: FloatArray, strength: float) -> FloatArray:
    """Log M against "rate <= theta" (arrays broadcast), with the edges 0 and 1 exact."""
    inner = np.clip(theta, 1e-12, 1.0 - 1e-12)
    a, b = strength * inner, strength * (1.0 - inner)
    with np.errstate(divide="ignore"):
        tail = np.log(betaincc(a + s, b + f, inner)) - np.log(betaincc(a, b, inner))
    value = betaln(a + s, b + f) - betaln(a, b) + tail - s * np.log(inner) - f * np.log1p(-inner)
    value = np.where(theta >= 1.0, -np.inf, value)  # nothing refutes "rate <= 1"
    return np.asarray(np.where(theta <= 0.0, np.where(s > 0, np.inf, 0.0), value))


def log_evidence(
    successes: npt.ArrayLike,
    failures: npt.ArrayLike,
    threshold: npt.ArrayLike,
    side: Side,
    strength: float = STRENGTH,
) -> FloatArray:
    """The log of the mixture martingale against "the rate is not `side` of `threshold`".

    Args:
        successes: Successes so far (arrays broadcast together).
        failures: Failures so far.
        threshold: θ, in [0, 1].
        side: `above` tests "rate <= θ" (evidence that it is above); `below` the mirror.
        strength: The prior's weight in cases.

    Returns:
        log M; the test rejects once it reaches log(1 / alpha). At θ = 0 (`above`) one
        success is conclusive, and at θ = 1 nothing is; likewise mirrored for `below`.
    """
    s = np.asarray(successes, dtype=float)
    f = np.asarray(failures, dtype=float)
    theta = np.asarray(threshold, dtype=float)
    if side == "below":  # the mirror image: failures are the successes of 1 - rate
        return _above(f, s, 1.0 - theta, strength)
    return _above(s, f, theta, strength)


def needed(
    n: int, threshold: float, side: Side, alpha: float, strength: float = STRENGTH
) -> FloatArray:
    """For t = 1..n trials, the fewest successes (`above`) or failures (`below`) that reject.

    The evidence grows with each success for `above` (every alternative q > θ makes a
    success likelier than θ does), so the test rejects at t exactly when the successes
    reach this count: a run's decisions are then comparisons of its running counts, and
    thousands of simulated runs cost one search. `inf` where no count up to t rejects.
    """
    return np.array(_needed(n, float(threshold), side, float(alpha), float(strength)))


@cache
def _needed(
    n: int, threshold: float, side: Side, alpha: float, strength: float
) -> tuple[float, ...]:
    """`needed`, kept: a simulation asks for the same counts thousands of times."""
    level = np.log(1.0 / alpha)
    t = np.arange(1, n + 1)
    if side == "below":
        return _needed(n, 1.0 - threshold, "above", alpha, strength)
    hi = t.copy()
    rejects = log_evidence(hi, t - hi, threshold, "above", strength) >= level
    lo = np.full(n, -1)
    while np.any(hi - lo > 1):
        mid = (lo + hi) // 2
        s = np.maximum(mid, 0)
        found = log_evidence(s, t - s, threshold, "above", strength)
        ok = (found >= level) & (mid >= 0)
        hi, lo = np.where(ok, mid, hi), np.where(ok, lo, mid)
    return tuple(float(x) for x in np.where(rejects, hi, np.inf))


def crossing(
    outcomes: npt.ArrayLike,
    threshold: float,
    side: Side,
    alpha: float,
    strength: float = STRENGTH,
) -> IntArray:
    """The 1-based count at which the evidence first reaches 1/alpha; 0 where it never does.

    Args:
        outcomes: Booleans in order along the last axis (one simulated run per row).
        threshold: θ.
        side: Which side of θ to show.
        alpha: The error rate.
        strength: The prior's weight in cases (`tuned_strength`).
    """
    x = np.asarray(outcomes, dtype=bool)
    n = x.shape[-1]
    if n == 0:
        return np.zeros(x.shape[:-1], dtype=np.int64)
    counted = np.cumsum(x if side == "above" else ~x, axis=-1)
    hit = counted >= needed(n, threshold, side, alpha, strength)
    return np.asarray(np.where(hit.any(axis=-1), hit.argmax(axis=-1) + 1, 0), dtype=np.int64)


def _bound(s: FloatArray, f: FloatArray, alpha: float, strength: float) -> FloatArray:
    """Per sample size, the largest θ that the `above` test rejects (0 when none does)."""
    level = np.log(1.0 / alpha)
    lo = np.zeros_like(s)
    hi = np.where(s + f > 0, s / np.maximum(s + f, 1), 0.0)  # never rejected at the estimate
    for _ in range(_BISECTIONS):
        mid = (lo + hi) / 2
        rejected = log_evidence(s, f, mid, "above", strength) >= level
        lo, hi = np.where(rejected, mid, lo), np.where(rejected, hi, mid)
    return np.asarray(np.where(log_evidence(s, f, lo, "above", strength) >= level, lo, 0.0))


def bounds(
    outcomes: npt.ArrayLike,
    alpha: float,
    strength: float = STRENGTH,
    upper_strength: float | None = None,
) -> tuple[FloatArray, FloatArray]:
    """The lower and upper confidence sequences after each outcome, running max and min.

    Each bound alone holds at every sample size with probability 1 - alpha (so the pair
    with 1 - 2 alpha). The lower bound is the largest threshold that the `above` test
    rejects, found by bisection; the upper bound mirrors it.

    Args:
        outcomes: Booleans in order (one dimension).
        alpha: The error rate of each bound.
        strength: The prior's weight of the lower bound's tests (`above`).
        upper_strength: That of the upper bound's (`below`); default `strength`.

    Returns:
        (lower, upper), one value per outcome.
    """
    x = np.asarray(outcomes, dtype=bool)
    if x.size == 0:
        return np.zeros(0), np.zeros(0)
    s = np.cumsum(x).astype(float)
    f = np.arange(1, x.size + 1) - s
    up = strength if upper_strength is None else upper_strength
    lower = np.maximum.accumulate(_bound(s, f, alpha, strength))
    upper = np.minimum.accumulate(1.0 - _bound(f, s, alpha, up))
    return lower, upper


def _boundary(strength: float, target: int, threshold: float, alpha: float) -> float:
    """The (real-valued) successes of `target` trials at which the `above` test rejects."""
    level = float(np.log(1.0 / alpha))

    def gap(s: float) -> float:
        return float(log_evidence(s, target - s, threshold, "above", strength)) - level

    top = gap(float(target))
    if top < 0:  # not even every trial right rejects: worse than any that does
        return target - top
    found: float = brentq(gap, threshold * target, float(target), xtol=1e-6)
    return found


def tuned_strength(threshold: float, side: Side, alpha: float, target: int) -> float:
    """The prior's weight whose boundary is narrowest after `target` trials.

    The rule is fixed before any data: it reads the threshold, the side, alpha and the
    target sample size (a run passes half its suite's cases), never an outcome, so the
    tests keep their guarantee. Between the integer counts, the boundary is the real
    number of successes at which the evidence reaches 1/alpha; the weight minimising it is
    found on a log scale, between half a case and 1,000 times the target.

    Args:
        threshold: θ.
        side: The side being shown.
        alpha: The error rate.
        target: The sample size at which the boundary should be narrowest.
    """
    return _tuned(float(threshold), side, float(alpha), int(target))


@cache
def _tuned(threshold: float, side: Side, alpha: float, target: int) -> float:
    theta = threshold if side == "above" else 1.0 - threshold
    if target < 1 or not 0.0 < theta < 1.0:
        return STRENGTH  # a degenerate test (nothing or one outcome settles it): any weight
    low, high = np.log(_WEIGHTS[0]), np.log(_WEIGHTS[1] * target)
    found = minimize_scalar(
        lambda w: _boundary(float(np.exp(w)), target, theta, alpha),
        bounds=(low, high),
        method="bounded",
        options={"xatol": 1e-3},
    )
    return round(float(np.exp(found.x)), 3)
