"""What a model call costs, from a table of list prices of hosted models.

Prices are USD per million tokens, input and output, as published on
https://openai.com/api/pricing around mid-2025 (approximate: they change, and cached or
batch discounts are ignored). A local model costs nothing to call. A hosted model that
is not in the table has an unknown cost: `estimate_cost` returns None for it rather
than a made-up number, and the caller decides how to record that.
"""

from __future__ import annotations

from types import MappingProxyType

from pydantic import BaseModel, ConfigDict, Field

_PER_MILLION = 1_000_000


class ModelPrice(BaseModel):
    """List price of one hosted model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input_per_m: float = Field(ge=0, description="USD per million input (prompt) tokens.")
    output_per_m: float = Field(ge=0, description="USD per million output tokens.")


PRICES_AS_OF = "2025-06 (approximate)"

PRICES: MappingProxyType[str, ModelPrice] = MappingProxyType(
    {
        "gpt-4o-mini": ModelPrice(input_per_m=0.15, output_per_m=0.60),
        "gpt-4o": ModelPrice(input_per_m=2.50, output_per_m=10.00),
        "gpt-4.1-nano": ModelPrice(input_per_m=0.10, output_per_m=0.40),
        "gpt-4.1-mini": ModelPrice(input_per_m=0.40, output_per_m=1.60),
        "gpt-4.1": ModelPrice(input_per_m=2.00, output_per_m=8.00),
        "o4-mini": ModelPrice(input_per_m=1.10, output_per_m=4.40),
        "o3-mini": ModelPrice(input_per_m=1.10, output_per_m=4.40),
        "gpt-3.5-turbo": ModelPrice(input_per_m=0.50, output_per_m=1.50),
    }
)


def find_price(model: str) -> ModelPrice | None:
    """The price of `model`, or None when it is not in the table.

    Endpoints report dated snapshots ("gpt-4o-mini-2024-07-18") and routers prefix a
    provider ("openai/gpt-4o"), so the provider is dropped and the longest table name
    that the model name starts with (followed by nothing or "-") wins: "gpt-4o-mini-..."
    is priced as gpt-4o-mini, not as gpt-4o.
    """
    name = model.rsplit("/", 1)[-1].lower()
    best: str | None = None
    for known in PRICES:
        if (name == known or name.startswith(known + "-")) and (
            best is None or len(known) > len(best)
        ):
            best = known
    return PRICES[best] if best is not None else None


def estimate_cost(model: str, tokens_in: int, tokens_out: int, *, local: bool) -> float | None:
    """Estimate what one call cost, in USD.

    Args:
        model: Model name as sent to (or reported by) the endpoint.
        tokens_in: Prompt tokens.
        tokens_out: Completion tokens.
        local: True when the model runs on this machine; its calls cost 0.0.

    Returns:
        The cost; 0.0 for a local model; None for a hosted model whose price is unknown,
        so that "free" and "not known" are never confused.
    """
    if local:
        return 0.0
    price = find_price(model)
    if price is None:
        return None
    return (tokens_in * price.input_per_m + tokens_out * price.output_per_m) / _PER_MILLION
