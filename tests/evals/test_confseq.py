"""The confidence sequences, checked by simulation: no model, seeded synthetic planners.

A synthetic planner of known accuracy is a row of seeded Bernoulli draws; thousands of
simulated runs are checked at once with numpy. The error rate of a sequential gate is the
share of runs in which the test ever shows the wrong side of the threshold, looking after
every single trial; it must stay at or below alpha (plus simulation noise), including when
the true accuracy sits exactly at the threshold, where a fixed-sample Wilson interval
looked at after every trial would be wrong far more often.
"""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from crane_bench.evals.confseq import bounds, crossing, log_evidence

ALPHA = 0.05
RUNS = 4000
CASES = 400
NOISE = 3 * np.sqrt(ALPHA * (1 - ALPHA) / RUNS)
"""Three standard errors of a simulated error rate near alpha (0.010)."""


def _runs(accuracy: float, seed: int, runs: int = RUNS, cases: int = CASES) -> np.ndarray:
    return np.random.default_rng(seed).random((runs, cases)) < accuracy


@pytest.mark.parametrize(("threshold", "seed"), [(0.8, 1), (0.5, 2), (0.95, 3), (0.2, 4)])
def test_error_rate_at_the_threshold_stays_below_alpha(threshold: float, seed: int) -> None:
    # True accuracy exactly at the threshold: a gate `>= threshold` holds, so deciding
    # "below" is an error; a gate `<= threshold` holds too, so "above" is one as well.
    runs = _runs(threshold, seed)
    wrongly_below = np.mean(crossing(runs, threshold, "below", ALPHA) > 0)
    wrongly_above = np.mean(crossing(runs, threshold, "above", ALPHA) > 0)
    assert wrongly_below <= ALPHA + NOISE
    assert wrongly_above <= ALPHA + NOISE


def test_error_rate_just_on_the_wrong_side_stays_below_alpha() -> None:
    # A planner 1 point under a `>= 0.85` gate: passing it would be the error.
    runs = _runs(0.84, 5)
    assert np.mean(crossing(runs, 0.85, "above", ALPHA) > 0) <= ALPHA + NOISE


def test_a_wilson_interval_looked_at_after_every_trial_would_not() -> None:
    # The reason for confidence sequences: at the threshold, a fixed-sample interval
    # checked after each of 400 trials excludes it at some point in far more than 5% of runs.
    runs = _runs(0.8, 6, runs=1000)
    successes = np.cumsum(runs, axis=1)
    n = np.arange(1, CASES + 1)
    low, high = proportion_confint(successes, n, alpha=ALPHA, method="wilson")
    ever_wrong = np.mean(((low > 0.8) | (high < 0.8)).any(axis=1))
    assert ever_wrong > 3 * ALPHA


@pytest.mark.parametrize(
    ("accuracy", "threshold", "side"),
    [(0.95, 0.8, "above"), (0.6, 0.8, "below"), (0.9, 0.6, "above"), (1.0, 0.9, "above")],
)
def test_clear_cases_stop_well_before_the_whole_suite(
    accuracy: float, threshold: float, side: str
) -> None:
    cases = 223
    found = crossing(_runs(accuracy, 7, runs=2000, cases=cases), threshold, side, ALPHA)  # type: ignore[arg-type]
    decided = found[found > 0]
    assert len(decided) / len(found) > 0.99  # decided within the suite, almost always
    assert np.median(decided) < cases / 3
    assert np.mean((found > 0) & (found <= cases // 2)) > 0.95


def test_the_evidence_is_a_likelihood_ratio_at_the_edges() -> None:
    # With no data the evidence is 1 (log 0); a threshold of 0 is refuted by one success.
    assert log_evidence(0, 0, 0.3, "above") == pytest.approx(0.0)
    assert log_evidence(1, 5, 0.0, "above") == np.inf
    assert log_evidence(0, 5, 0.0, "above") == 0.0
    assert log_evidence(5, 0, 1.0, "above") == -np.inf
    assert log_evidence(5, 0, 1.0, "below") == 0.0  # mirrored: no failure refutes "rate = 1"
    # More successes never weaken the evidence that the rate is above the threshold.
    more = log_evidence(np.arange(0, 50), 50 - np.arange(0, 50), 0.5, "above")
    assert np.all(np.diff(more) > 0)


def test_bounds_agree_with_the_tests_they_invert() -> None:
    runs = _runs(0.85, 8, runs=10, cases=120)
    for run in runs:
        lower, upper = bounds(run, ALPHA)
        assert np.all(np.diff(lower) >= 0)
        assert np.all(np.diff(upper) <= 0)
        assert np.all(lower <= upper)
        for threshold in (0.7, 0.75, 0.8, 0.9, 0.95):
            above = crossing(run, threshold, "above", ALPHA)
            below = crossing(run, threshold, "below", ALPHA)
            # The bound passes a threshold exactly when the test at it rejects.
            assert above == (
                int(np.argmax(lower > threshold)) + 1 if (lower > threshold).any() else 0
            )
            assert below == (
                int(np.argmax(upper < threshold)) + 1 if (upper < threshold).any() else 0
            )


def test_needed_counts_match_the_evidence() -> None:
    from crane_bench.evals.confseq import needed  # noqa: PLC0415

    for threshold, side in ((0.8, "above"), (0.3, "below"), (0.0, "above"), (1.0, "below")):
        counts = needed(60, threshold, side, ALPHA)  # type: ignore[arg-type]
        for t in (1, 10, 30, 60):
            k = counts[t - 1]
            if np.isfinite(k):
                k = int(k)
                s, f = (k, t - k) if side == "above" else (t - k, k)
                assert log_evidence(s, f, threshold, side) >= np.log(1 / ALPHA)  # type: ignore[arg-type]
                if k > 0:
                    s, f = (k - 1, t - k + 1) if side == "above" else (t - k + 1, k - 1)
                    assert log_evidence(s, f, threshold, side) < np.log(1 / ALPHA)  # type: ignore[arg-type]
