"""The decomposed planner against the real local model server (SmolLM2), a few calls only."""

from __future__ import annotations

import pytest

from crane_bench.runtime.local_llm import LLMEndpoint, make_openai_client
from crane_bench.runtime.planners.decomposed import DecomposedLLMPlanner
from crane_bench.runtime.planners.factory import open_planner
from crane_bench.runtime.planners.llm import LLMPlannerConfig
from crane_bench.runtime.planners.prompting import build_plan_schema
from crane_bench.runtime.planners.validation import validate_plan
from crane_bench.runtime.settings import Settings
from crane_bench.runtime.tools import default_tools

pytestmark = [pytest.mark.integration, pytest.mark.llm]


async def test_a_plan_is_valid_repeatable_and_counted(local_llm_endpoint: LLMEndpoint) -> None:
    client = make_openai_client(local_llm_endpoint, timeout_s=60)
    planner = DecomposedLLMPlanner(
        client,
        model=local_llm_endpoint.model,
        kind=local_llm_endpoint.kind,
        config=LLMPlannerConfig(timeout_s=60, temperature=0.0, seed=7, local=True),
    )
    try:
        first = await planner.plan("calculate 2 + 2")
        second = await planner.plan("calculate 2 + 2")
    finally:
        await client.close()

    tools = default_tools()
    validate_plan(first.plan, tools)  # raises InvalidPlanError when it is not
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    schema = build_plan_schema(tools.describe())
    assert jsonschema_rs.validator_for(schema).is_valid(first.plan.model_dump(mode="json"))
    assert second.plan == first.plan
    assert second.meta.raw_output == first.meta.raw_output
    meta = first.meta
    assert (meta.planner, meta.model) == ("llm", local_llm_endpoint.model)
    assert meta.tokens_in > 0
    assert meta.tokens_out > 0
    assert meta.cost_usd == 0.0
    assert meta.raw_output


async def test_the_factory_gives_local_endpoints_the_decomposed_planner(
    local_llm_endpoint: LLMEndpoint,
) -> None:
    async with open_planner("llm", Settings(), endpoint=local_llm_endpoint) as planner:
        assert isinstance(planner, DecomposedLLMPlanner)
        result = await planner.plan("thanks!")  # fillers only: no clause, no model call
    assert result.plan.abstains
    assert result.meta.tokens_in == 0
