"""Cost estimates from the price table."""

from __future__ import annotations

import pytest

from crane_bench.runtime.planners.pricing import PRICES, estimate_cost, find_price


def test_known_model_cost() -> None:
    cost = estimate_cost("gpt-4o-mini", 1_000_000, 1_000_000, local=False)
    assert cost == pytest.approx(0.15 + 0.60)


@pytest.mark.parametrize(
    ("model", "table_name"),
    [
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("openai/gpt-4.1-mini", "gpt-4.1-mini"),
        ("gpt-4.1", "gpt-4.1"),
        ("GPT-4.1-NANO", "gpt-4.1-nano"),
    ],
)
def test_snapshots_and_prefixes_find_the_longest_table_name(model: str, table_name: str) -> None:
    assert find_price(model) == PRICES[table_name]


def test_local_models_cost_nothing() -> None:
    assert estimate_cost("gpt-4o", 5000, 500, local=True) == 0.0
    assert estimate_cost("smollm2-135m", 5000, 500, local=True) == 0.0


@pytest.mark.parametrize("model", ["llama-3-70b", "gpt-4o1", "gpt-5-turbo-x", ""])
def test_unknown_hosted_models_have_unknown_cost(model: str) -> None:
    assert estimate_cost(model, 1000, 100, local=False) is None


def test_zero_tokens_cost_zero() -> None:
    assert estimate_cost("gpt-4.1", 0, 0, local=False) == 0.0
