"""The suite's own rate, tested as cases drawn without replacement; checked by simulation.

A suite is a fixed population of N outcomes; a sequential run reads them in a seeded random
order. The error of a gate on the point estimate is deciding the other way than the full
run: passing when fewer than `a` of the N are right, failing when at least `a` are. It must
stay at or below alpha however often the run looks: here after every single case (a run
looks after every round of 16, a subset of these looks), and with the population exactly
at the boundary, where the error is likeliest.
"""

from __future__ import annotations

import numpy as np
import pytest

from crane_bench.evals import confseq_finite as finite
from crane_bench.evals.confseq import tuned_strength

ALPHA = 0.05
N = 223
RUNS = 4000
NOISE = 3 * np.sqrt(ALPHA * (1 - ALPHA) / RUNS)


def _orders(right: int, seed: int, runs: int = RUNS, n: int = N) -> np.ndarray:
    """`runs` random orders of a suite of `n` cases, `right` of them right."""
    suite = np.arange(n) < right
    return np.random.default_rng(seed).permuted(np.tile(suite, (runs, 1)), axis=1)


def _strength(threshold: float, side: str, n: int = N) -> float:
    return tuned_strength(threshold, side, ALPHA, (n + 1) // 2)  # type: ignore[arg-type]


@pytest.mark.parametrize("threshold", [0.8, 0.5, 0.95, 0.99])
def test_error_rate_at_the_boundary_stays_below_alpha(threshold: float) -> None:
    # The full run passes `>= threshold` with `a` right: with a - 1 right it fails, so
    # showing "more than a - 1" is the error; with a right it passes, so showing "fewer
    # than a" is.
    a = next(j for j in range(N + 1) if j / N >= threshold)
    fails = _orders(a - 1, seed=a)
    passes = _orders(a, seed=a + 1)
    wrongly_passed = finite.crossing(
        fails, N, a - 1, "above", ALPHA, strength=_strength(threshold, "above")
    )
    wrongly_failed = finite.crossing(
        passes, N, a, "below", ALPHA, strength=_strength(threshold, "below")
    )
    assert np.mean(wrongly_passed > 0) <= ALPHA + NOISE
    assert np.mean(wrongly_failed > 0) <= ALPHA + NOISE


def test_a_random_planner_at_the_threshold_gets_the_full_runs_verdict() -> None:
    # A planner right with probability exactly 0.8 on every case: each simulated suite has
    # its own count, and the sequential verdict must agree with that suite's full run.
    rng = np.random.default_rng(9)
    outcomes = rng.random((RUNS, N)) < 0.8
    full_passes = outcomes.sum(axis=1) / N >= 0.8
    a = next(j for j in range(N + 1) if j / N >= 0.8)
    passed = finite.crossing(outcomes, N, a - 1, "above", ALPHA, strength=_strength(0.8, "above"))
    failed = finite.crossing(outcomes, N, a, "below", ALPHA, strength=_strength(0.8, "below"))
    wrong = np.where(full_passes, failed > 0, passed > 0)
    assert np.mean(wrong) <= ALPHA + NOISE
    # And the decisions are many: with peeking, the run still settles most suites.
    assert np.mean((passed > 0) | (failed > 0)) > 0.5


def test_a_latency_quantile_at_its_boundary_errs_at_most_alpha() -> None:
    # p95 <= T over 223 trials passes for sure with 212 within T and fails for sure with
    # 210; with 211 it depends on the values. Passing on 210, or failing on 212, is wrong.
    h = (N - 1) * 0.95
    certain_pass, certain_fail = int(np.ceil(h)) + 1, int(np.floor(h))
    assert (certain_pass, certain_fail) == (212, 210)
    strength = _strength(0.95, "above")
    passed = finite.crossing(
        _orders(certain_fail, 21), N, certain_pass - 1, "above", ALPHA, strength=strength
    )
    failed = finite.crossing(
        _orders(certain_pass, 22), N, certain_fail + 1, "below", ALPHA,
        strength=_strength(0.95, "below"),
    )  # fmt: skip
    assert np.mean(passed > 0) <= ALPHA + NOISE
    assert np.mean(failed > 0) <= ALPHA + NOISE


def test_needed_counts_match_the_evidence_at_every_count() -> None:
    # The bisection assumes more right cases never weaken the evidence: check every count.
    n, m = 40, 30
    level = np.log(1 / ALPHA)
    for side, count in (("above", m), ("below", m + 1)):
        counts = finite.needed(n, count, side, ALPHA, 8.0)  # type: ignore[arg-type]
        for t in range(1, n + 1):
            k = np.arange(t + 1)
            seen, other = (k, t - k) if side == "above" else (t - k, k)
            evidence = finite.log_evidence(
                seen,
                other,
                np.full(t + 1, count),
                n,
                side,
                strength=8.0,  # type: ignore[arg-type]
            )
            rejecting = k[evidence >= level]
            if rejecting.size == 0:
                assert np.isinf(counts[t - 1])
            else:
                assert np.all(np.diff(evidence[np.isfinite(evidence)]) >= -1e-9)
                assert counts[t - 1] == rejecting.min()


def test_the_edges_are_exact() -> None:
    # More right than m: "at most m right" is refuted outright; all seen: the truth is known.
    s = np.array([5.0])
    assert (
        finite.log_evidence(s, np.array([0.0]), np.array([4.0]), 10, "above", strength=5)[0]
        == np.inf
    )
    assert (
        finite.log_evidence(s, np.array([5.0]), np.array([5.0]), 10, "above", strength=5)[0]
        == -np.inf
    )
    # Every case seen: the suite's rate is known, so the bounds hold it exactly.
    lower, upper = finite.bounds(_orders(17, 4, runs=1, n=20)[0], 20, ALPHA, 5.0)
    assert lower[-1] <= 17 / 20 <= upper[-1]
    assert finite._largest_rejected(np.array([17.0]), np.array([3.0]), 20, ALPHA, 5.0)[0] == 16


def test_bounds_agree_with_the_tests_they_invert() -> None:
    n = 60
    strength = 6.0
    missed = 0
    runs = _orders(50, 3, runs=300, n=n)
    for run in runs:
        lower, upper = finite.bounds(run, n, ALPHA, strength)
        assert np.all(np.diff(lower) >= 0)
        assert np.all(np.diff(upper) <= 0)
        missed += bool(np.any(lower > 50 / n))
    # Each bound misses the suite's rate at some point in at most alpha of the orders.
    assert missed / len(runs) <= ALPHA + 3 * np.sqrt(ALPHA * (1 - ALPHA) / len(runs))
    for run in runs[:5]:
        lower, _ = finite.bounds(run, n, ALPHA, strength)
        for m in (35, 40, 45, 48):
            above = finite.crossing(run, n, m, "above", ALPHA, strength=strength)
            shown = lower > m / n  # "more than m right" is inside the lower bound
            assert above == (int(np.argmax(shown)) + 1 if shown.any() else 0)


def test_the_evidence_falls_as_the_null_grows() -> None:
    # The bounds' bisection over m assumes it: check every m, every t and every count.
    n = 30
    m = np.arange(-1, n + 1, dtype=float)
    for t in range(1, n + 1):
        for s in range(t + 1):
            evidence = finite.log_evidence(
                np.full(m.size, float(s)), np.full(m.size, float(t - s)), m, n, "above",
                strength=6.0,
            )  # fmt: skip
            finite_part = evidence[np.isfinite(evidence)]
            assert np.all(np.diff(finite_part) <= 1e-9)
            # +inf (more right than m) comes first, -inf (no alternative fits) last.
            assert np.all(np.diff(np.isposinf(evidence).astype(int)) <= 0)
            assert np.all(np.diff(np.isneginf(evidence).astype(int)) >= 0)
