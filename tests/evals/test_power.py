"""Power figures: exact sums checked against brute force and against seeded simulations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from crane_bench.evals.comparison import compare_verdicts
from crane_bench.evals.power import (
    mcnemar_cases_needed,
    mcnemar_mde,
    mcnemar_power,
    paired_gate_resolution,
    rate_gate_power,
    rate_gate_resolution,
    two_proportion_mde,
)
from crane_bench.evals.stats import mcnemar_exact, wilson_interval

SIMULATIONS = 20_000
"""Simulated runs per check: the simulated power's standard error is 0.003 at 80%."""
AGREEMENT = 0.02
"""How close the exact figure and the simulated one must be (6-7 standard errors)."""


def _brute_power(n: int, discordance: float, difference: float, alpha: float) -> float:
    """Every (discordant count, A's share of it) weighed and tested one by one."""
    favour = (discordance + difference) / (2 * discordance)
    total = 0.0
    for m in range(n + 1):
        for k in range(m + 1):
            if mcnemar_exact(k, m - k) < alpha:
                total += binom.pmf(m, n, discordance) * binom.pmf(k, m, favour)
    return total


@pytest.mark.parametrize(
    ("n", "discordance", "difference", "alpha"),
    [(30, 0.2, 0.1, 0.05), (60, 0.1, 0.05, 0.05), (12, 0.5, 0.3, 0.05), (40, 0.3, 0.0, 0.01)],
)
def test_mcnemar_power_is_the_exact_sum(
    n: int, discordance: float, difference: float, alpha: float
) -> None:
    assert mcnemar_power(n, discordance, difference, alpha) == pytest.approx(
        _brute_power(n, discordance, difference, alpha), abs=1e-12
    )


def _simulated_mcnemar_power(
    n: int, discordance: float, difference: float, seed: int, alpha: float = 0.05
) -> float:
    """Share of simulated suites on which the exact McNemar test rejects."""
    rng = np.random.default_rng(seed)
    a_only_share = (discordance + difference) / 2
    b_only_share = (discordance - difference) / 2
    counts = rng.multinomial(n, [a_only_share, b_only_share, 1 - discordance], size=SIMULATIONS)
    a_only, b_only = counts[:, 0], counts[:, 1]
    m = a_only + b_only
    p = np.where(m > 0, np.minimum(1.0, 2 * binom.cdf(np.minimum(a_only, b_only), m, 0.5)), 1.0)
    return float(np.mean(p < alpha))


@pytest.mark.parametrize(
    ("n", "discordance", "seed"), [(223, 13 / 223, 1), (100, 0.2, 2), (500, 0.05, 3)]
)
def test_the_mde_is_found_80_percent_of_the_time_in_simulation(
    n: int, discordance: float, seed: int
) -> None:
    mde = mcnemar_mde(n, discordance)
    assert mde is not None
    assert _simulated_mcnemar_power(n, discordance, mde, seed) == pytest.approx(0.8, abs=AGREEMENT)
    half = mde / 2
    assert _simulated_mcnemar_power(n, discordance, half, seed) == pytest.approx(
        mcnemar_power(n, discordance, half), abs=AGREEMENT
    )


def test_the_issue_example_and_the_hopeless_cases() -> None:
    # Hybrid against the rules: 8 vs 5 of 223 detects differences of about 4.6 points.
    assert mcnemar_mde(223, 13 / 223) == pytest.approx(0.0458, abs=5e-4)
    # 1 vs 0 of 55: no difference up to the discordance itself is found 80% of the time.
    assert mcnemar_mde(55, 1 / 55) is None
    assert mcnemar_mde(223, 0.0) is None
    assert mcnemar_power(223, 0.0, 0.0) == 0.0


def test_cases_needed_is_where_the_power_first_reaches_80_percent() -> None:
    needed = mcnemar_cases_needed(0.03, 13 / 223)
    assert needed is not None
    assert mcnemar_power(needed, 13 / 223, 0.03) >= 0.8
    assert mcnemar_power(needed - 1, 13 / 223, 0.03) < 0.8
    # More cases than the run had: 3 points is below the 4.6 that 223 cases detect.
    assert needed > 223
    assert mcnemar_cases_needed(0.1, 0.05) is None  # planners that rarely disagree
    assert mcnemar_cases_needed(0.0, 0.05) is None


def test_the_mde_and_cases_needed_agree() -> None:
    mde = mcnemar_mde(300, 0.1)
    assert mde is not None
    needed = mcnemar_cases_needed(mde + 0.002, 0.1)
    assert needed is not None
    assert needed <= 300


def test_rate_gate_resolution_against_simulation() -> None:
    rng = np.random.default_rng(7)
    n, threshold = 223, 0.8
    resolution = rate_gate_resolution(n, threshold, ">=")
    assert resolution is not None
    above = rng.binomial(n, threshold + resolution, SIMULATIONS) / n
    below = rng.binomial(n, threshold - resolution, SIMULATIONS) / n
    # The gate compares the point estimate: right 80% of the time on the weaker side.
    right = min(np.mean(above >= threshold), np.mean(below < threshold))
    assert right == pytest.approx(0.8, abs=AGREEMENT)


def test_lower_bound_gate_resolution_against_simulation() -> None:
    rng = np.random.default_rng(8)
    n, threshold = 223, 0.2
    resolution = rate_gate_resolution(n, threshold, ">=", "lower_bound")
    assert resolution is not None
    k = rng.binomial(n, threshold + resolution, SIMULATIONS)
    lows = {int(x): wilson_interval(int(x), n)[0] for x in np.unique(k)}
    passed = np.mean([lows[int(x)] >= threshold for x in k])
    assert passed == pytest.approx(0.8, abs=AGREEMENT)
    assert rate_gate_power(n, threshold + resolution, threshold, ">=", "lower_bound") == (
        pytest.approx(0.8, abs=0.01)
    )


def test_rate_gate_resolution_at_the_edges() -> None:
    # n of n correct has a Wilson lower bound of 0.983 on 223 cases: 0.99 is out of reach.
    assert rate_gate_resolution(223, 0.99, ">=", "lower_bound") is None
    # "at most 0 false actions" on 32 prompts: fails 80% of the time at 1 - 0.2^(1/32).
    assert rate_gate_resolution(32, 0.0, "<=") == pytest.approx(1 - 0.2 ** (1 / 32), abs=1e-4)
    assert rate_gate_resolution(10, 1.5, "<=") is None


def test_paired_gate_resolution_against_simulation() -> None:
    rng = np.random.default_rng(9)
    n, discordance = 223, 0.1
    resolution = paired_gate_resolution(n, discordance, ">=")
    assert resolution is not None
    for sign in (1, -1):
        difference = sign * resolution
        shares = [(discordance + difference) / 2, (discordance - difference) / 2]
        counts = rng.multinomial(n, [*shares, 1 - discordance], size=SIMULATIONS)
        passes = counts[:, 0] >= counts[:, 1]
        right = np.mean(passes) if sign > 0 else np.mean(~passes)
        assert right >= 0.8 - AGREEMENT
    assert paired_gate_resolution(n, 0.0, ">=") is None


def test_every_comparison_says_what_it_could_detect() -> None:
    import pandas as pd  # noqa: PLC0415

    cases = [f"c{i}" for i in range(223)]
    a = pd.Series([i < 8 for i in range(223)], index=cases)
    b = pd.Series([8 <= i < 13 for i in range(223)], index=cases)
    found = compare_verdicts(a, b, planner_a="hybrid", planner_b="pattern")
    assert found.verdict == "no significant difference"
    assert found.power is not None
    assert found.power.discordance == pytest.approx(13 / 223)
    assert found.detectable == (
        "this suite detects a difference of 4.6 points or more 80% of the time"
    )
    same = compare_verdicts(a, a, planner_a="x", planner_b="y")
    assert "never disagreed" in same.detectable
    assert "cannot be estimated" in same.detectable
    one = pd.Series([i == 0 for i in range(55)], index=cases[:55])
    none = pd.Series([False] * 55, index=cases[:55])
    small = compare_verdicts(one, none, planner_a="x", planner_b="y")
    assert small.detectable.startswith("with 1 disagreement in 55 cases, this suite is too small")


def test_two_proportion_mde_against_simulation() -> None:
    from statsmodels.stats.proportion import proportions_ztest  # noqa: PLC0415

    rng = np.random.default_rng(12)
    n, base = 120, 0.85
    drop = two_proportion_mde(n, n, base)
    assert drop is not None
    loaded = rng.binomial(n, base - drop, 4000)
    unloaded = rng.binomial(n, base, 4000)
    found = np.mean(
        [proportions_ztest([a, b], [n, n])[1] < 0.05 for a, b in zip(loaded, unloaded, strict=True)]
    )
    assert found == pytest.approx(0.8, abs=0.03)
    assert two_proportion_mde(3, 3, 0.2) is None  # no drop from 0.2 is found on 3 cases
