"""The converter's label and grammar fragment against the real local model (SmolLM2).

llama.cpp parses a grammar only with a model loaded: a fragment it refuses fails the
call (an error status), so a plan coming back at all means the grammar compiled. A
few calls only, on the converter's dev-set phrasings.
"""

from __future__ import annotations

import pytest

from crane_bench.runtime.local_llm import LLMEndpoint, make_openai_client
from crane_bench.runtime.planners.decomposed import DecomposedLLMPlanner
from crane_bench.runtime.planners.llm import LLMPlannerConfig
from crane_bench.runtime.planners.validation import validate_plan
from crane_bench.runtime.tools import default_tools

pytestmark = [pytest.mark.integration, pytest.mark.llm]


@pytest.mark.parametrize(
    "prompt", ["convert 20 meters to feet", "how many millimeters in an inch", "98.6 F to C"]
)
async def test_the_model_answers_within_the_converters_grammar(
    local_llm_endpoint: LLMEndpoint, prompt: str
) -> None:
    client = make_openai_client(local_llm_endpoint, timeout_s=60)
    planner = DecomposedLLMPlanner(
        client,
        model=local_llm_endpoint.model,
        kind=local_llm_endpoint.kind,
        config=LLMPlannerConfig(timeout_s=60, temperature=0.0, seed=7, local=True),
    )
    try:
        result = await planner.plan(prompt)
    finally:
        await client.close()
    assert result.meta.model_calls == 1
    assert result.meta.raw_output is not None
    validate_plan(result.plan, default_tools())  # raises InvalidPlanError when it is not
    assert all(step.tool == "unit_converter" for step in result.plan.steps)
