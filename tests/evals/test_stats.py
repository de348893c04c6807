"""Statistics: Wilson intervals, exact McNemar, pass@k and pass^k, percentiles."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest, norm
from statsmodels.stats.proportion import proportion_confint

from crane_bench.evals.stats import (
    clustered_interval,
    mcnemar_exact,
    pass_at_k,
    pass_hat_k,
    percentiles,
    wilson_interval,
)

# --- Wilson interval ---------------------------------------------------------------------


def test_wilson_matches_known_values() -> None:
    low, high = wilson_interval(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    low, high = wilson_interval(9, 10)
    assert (round(low, 4), round(high, 4)) == (0.5958, 0.9821)


@pytest.mark.parametrize(("successes", "n"), [(0, 1), (1, 3), (8, 10), (45, 50), (999, 1000)])
def test_wilson_matches_statsmodels_and_the_formula(successes: int, n: int) -> None:
    expected = proportion_confint(successes, n, alpha=0.05, method="wilson")
    z = norm.ppf(0.975)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low, high = wilson_interval(successes, n)
    assert low == pytest.approx(expected[0], abs=1e-12)
    assert high == pytest.approx(expected[1], abs=1e-12)
    assert low == pytest.approx(max(0.0, centre - half), abs=1e-12)
    assert high == pytest.approx(min(1.0, centre + half), abs=1e-12)


def test_wilson_edges_stay_in_the_unit_interval() -> None:
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(0, 10)[1] > 0.2  # 0/10 does not prove the rate is zero
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_wilson_higher_confidence_is_wider() -> None:
    low95, high95 = wilson_interval(8, 10)
    low99, high99 = wilson_interval(8, 10, confidence=0.99)
    assert low99 < low95 < high95 < high99


@pytest.mark.parametrize(
    ("successes", "n", "confidence"), [(-1, 5, 0.95), (6, 5, 0.95), (1, 5, 1.0)]
)
def test_wilson_rejects_bad_input(successes: int, n: int, confidence: float) -> None:
    with pytest.raises(ValueError, match=r"successes|confidence"):
        wilson_interval(successes, n, confidence)


@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_the_estimate(counts: tuple[int, int]) -> None:
    successes, n = counts
    low, high = wilson_interval(successes, n)
    assert 0.0 <= low <= successes / n <= high <= 1.0


# --- McNemar -----------------------------------------------------------------------------


def test_mcnemar_known_values() -> None:
    assert mcnemar_exact(1, 9) == pytest.approx(0.02148, abs=1e-5)
    assert mcnemar_exact(5, 5) == 1.0
    assert mcnemar_exact(0, 0) == 1.0


@pytest.mark.parametrize(("b", "c"), [(1, 9), (9, 1), (0, 3), (10, 0), (4, 7), (20, 35)])
def test_mcnemar_is_a_two_sided_binomial_test(b: int, c: int) -> None:
    expected = binomtest(b, b + c, 0.5, alternative="two-sided").pvalue
    assert mcnemar_exact(b, c) == pytest.approx(expected, rel=1e-12)
    assert mcnemar_exact(b, c) == mcnemar_exact(c, b)


def test_mcnemar_rejects_negative_counts() -> None:
    with pytest.raises(ValueError, match="discordant"):
        mcnemar_exact(-1, 3)


# --- pass@k and pass^k -------------------------------------------------------------------


def test_pass_k_hand_computed() -> None:
    # n=4 trials, c=2 right: of the 6 ways to draw 2 trials, 1 has both right and
    # 1 has both wrong.
    assert pass_hat_k(4, 2, 1) == 0.5
    assert pass_hat_k(4, 2, 2) == pytest.approx(1 / 6)
    assert pass_at_k(4, 2, 1) == 0.5
    assert pass_at_k(4, 2, 2) == pytest.approx(5 / 6)
    assert pass_at_k(4, 2, 3) == 1.0
    assert pass_hat_k(4, 2, 3) == 0.0


def test_pass_k_extremes() -> None:
    assert pass_at_k(5, 0, 3) == 0.0
    assert pass_hat_k(5, 5, 5) == 1.0
    assert pass_at_k(5, 5, 1) == 1.0


@pytest.mark.parametrize(("n", "c", "k"), [(3, 4, 1), (3, -1, 1), (3, 1, 0), (3, 1, 4)])
def test_pass_k_rejects_bad_counts(n: int, c: int, k: int) -> None:
    with pytest.raises(ValueError, match="need"):
        pass_at_k(n, c, k)
    with pytest.raises(ValueError, match="need"):
        pass_hat_k(n, c, k)


@given(st.integers(1, 30).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))))
def test_pass_k_orders(counts: tuple[int, int]) -> None:
    n, c = counts
    at = [pass_at_k(n, c, k) for k in range(1, n + 1)]
    hat = [pass_hat_k(n, c, k) for k in range(1, n + 1)]
    assert at[0] == pytest.approx(c / n)
    assert hat[0] == pytest.approx(c / n)
    assert all(x <= y + 1e-12 for x, y in pairwise(at))  # more tries help
    assert all(x + 1e-12 >= y for x, y in pairwise(hat))  # more must hold
    assert all(h <= a + 1e-12 for h, a in zip(hat, at, strict=True))


# --- percentiles -------------------------------------------------------------------------


def test_percentiles_interpolate_linearly() -> None:
    assert percentiles([1.0, 2.0, 3.0, 4.0]) == pytest.approx((2.5, 3.85, 3.97))
    assert percentiles([7.0]) == (7.0, 7.0, 7.0)
    assert percentiles([3.0, 1.0, 2.0], qs=(0, 100)) == (1.0, 3.0)


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=50))
def test_percentiles_match_numpy(values: list[float]) -> None:
    expected = np.percentile(values, [50, 95, 99])
    assert percentiles(values) == pytest.approx(tuple(expected))


def test_percentiles_reject_empty_and_out_of_range() -> None:
    with pytest.raises(ValueError, match="empty"):
        percentiles([])
    with pytest.raises(ValueError, match=r"\[0, 100\]"):
        percentiles([1.0], qs=(101,))


# --- clustered intervals: repeats are not new cases ---------------------------------


def test_one_trial_per_case_is_the_wilson_interval() -> None:
    successes = [1] * 160 + [0] * 31
    assert clustered_interval(successes, [1] * 191) == pytest.approx(wilson_interval(160, 191))


def test_a_deterministic_planner_repeated_20_times_keeps_the_interval_of_one_run() -> None:
    # 191 cases, 160 always right and 31 always wrong, 20 repeats each.
    successes = [20] * 160 + [0] * 31
    clustered = clustered_interval(successes, [20] * 191)
    pooled = wilson_interval(160 * 20, 191 * 20)
    one_run = wilson_interval(160, 191)
    assert clustered[1] - clustered[0] > 3 * (pooled[1] - pooled[0])
    # The small-sample factor C/(C-1) makes it a hair wider than one run's.
    assert clustered == pytest.approx(one_run, abs=0.003)
    assert clustered[0] <= one_run[0]


def test_independent_looking_repeats_narrow_the_interval() -> None:
    # Every case right in exactly half its trials: no case is easier than another, so
    # repeats add information and the interval is that of all the trials.
    clustered = clustered_interval([5] * 100, [10] * 100)
    assert clustered == pytest.approx(wilson_interval(500, 1000))


def test_all_right_or_all_wrong_counts_the_cases() -> None:
    assert clustered_interval([10] * 50, [10] * 50) == pytest.approx(wilson_interval(50, 50))
    assert clustered_interval([0] * 50, [10] * 50) == pytest.approx(wilson_interval(0, 50))


def test_clustered_interval_checks_its_counts() -> None:
    with pytest.raises(ValueError, match="one entry per case"):
        clustered_interval([1, 2], [3])
    with pytest.raises(ValueError, match="trials >= 1"):
        clustered_interval([4], [3])
    assert clustered_interval([], []) == (0.0, 1.0)
