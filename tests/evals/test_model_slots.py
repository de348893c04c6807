"""Model trials run concurrently up to a multi-slot server's slots (fake llama-server)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crane_bench.evals.run_config import EvalConfig
from tests.evals.eval_helpers import offline_settings, read_rows, run_new, write_cases
from tests.fake_llama_server import base_url, fake_llama_server

# Every prompt cues the calculator, so each trial makes one model call.
CALC_CASES: list[dict[str, Any]] = [
    {
        "id": f"calc-{n}",
        "prompt": f"calculate {n} + {n}",
        "category": "calculator",
        "expected": {"steps": [{"tool": "calculator", "input": {"expression": f"{n}+{n}"}}]},
    }
    for n in range(1, 9)
]


async def run_llm_eval(tmp_path: Path, url: str, concurrency: int) -> Any:
    gates = tmp_path / "gates.yaml"
    gates.write_text("checks: []\n", encoding="utf-8")
    config = EvalConfig.model_validate(
        {
            "planners": ("llm",),
            "case_paths": (write_cases(tmp_path / "cases.yaml", CALC_CASES),),
            "gates_path": gates,
            "use_cache": False,
            "concurrency": concurrency,
        }
    )
    settings = offline_settings(openai_base_url=url, llm_max_retries=0, llm_model="fake")
    return await run_new(config, settings, tmp_path / "run")


@pytest.mark.integration
async def test_model_trials_run_at_once_up_to_the_servers_slots(tmp_path: Path) -> None:
    with fake_llama_server(slots=2, completion_s=0.15) as server:
        run, summary = await run_llm_eval(tmp_path, base_url(server), concurrency=4)
    # One call per trial, and the untimed warm-up's calls before them (one per clause).
    [warm] = summary.latency_measurement.warmup
    assert warm.error is None
    assert warm.model_calls >= 1
    assert server.completions == len(CALC_CASES) + warm.model_calls
    # Concurrent, but never beyond the slots: more would only queue at the server.
    assert server.max_in_flight == 2
    endpoint = summary.environment.endpoints["llm"]
    assert (endpoint.server, endpoint.slots) == ("llama-server", 2)
    assert summary.latency_measurement.scheduling == "concurrent"
    assert summary.latency_measurement.concurrency == 2
    assert "decodes up to 2 requests together" in summary.latency_measurement.description
    assert len(read_rows(run.results_file)) == len(CALC_CASES)


@pytest.mark.integration
async def test_concurrency_below_the_slots_bounds_the_trials(tmp_path: Path) -> None:
    with fake_llama_server(slots=8, completion_s=0.15) as server:
        _, summary = await run_llm_eval(tmp_path, base_url(server), concurrency=3)
    assert server.max_in_flight == 3
    assert summary.latency_measurement.concurrency == 3


@pytest.mark.integration
async def test_queue_time_is_split_from_model_time(tmp_path: Path) -> None:
    with fake_llama_server(slots=4, completion_s=0.1) as server:
        run, _ = await run_llm_eval(tmp_path, base_url(server), concurrency=4)
    calls = [
        event
        for line in run.transcripts_file.read_text(encoding="utf-8").splitlines()
        for event in json.loads(line)["events"]
        if event["kind"] == "model_call"
    ]
    assert len(calls) == len(CALC_CASES)
    for call in calls:
        # The server's own timings are the model's time; the rest of the latency is
        # queueing and transport, recorded apart.
        assert call["model_ms"] is not None
        assert call["queue_ms"] == pytest.approx(call["latency_ms"] - call["model_ms"], abs=0.01)
        assert call["model_ms"] <= call["latency_ms"]
