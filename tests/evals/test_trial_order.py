"""Trials run planner by planner, so no planner's latency borrows another's prompt cache."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from crane_bench.evals.run_config import EvalConfig
from crane_bench.evals.run_dir import EvalSummary, RunDir
from crane_bench.runtime.settings import Settings
from tests.evals.eval_helpers import CASES, FakeEndpoint, offline_settings, read_rows, run_new


def _settings(**values: object) -> Settings:
    return offline_settings(
        openai_base_url="http://127.0.0.1:9/v1",
        llm_model="fake-model",
        llm_planner_mode="oneshot",
        hybrid_strategy="llm-first",  # asks the model for every case, like the llm planner
        **values,
    )


def _config(cases: Path, **values: object) -> EvalConfig:
    return EvalConfig.model_validate(
        {
            "planners": ("llm", "hybrid"),
            "case_paths": (cases,),
            "use_cache": False,
            "concurrency": 4,
            **values,
        }
    )


async def _run(
    tmp_path: Path, endpoint: FakeEndpoint, *, repeats: int = 1, **settings: object
) -> tuple[RunDir, EvalSummary]:
    cases = tmp_path / "cases.yaml"
    cases.write_text(json.dumps(CASES), encoding="utf-8")
    return await run_new(
        _config(cases, repeats=repeats),
        _settings(**settings),
        tmp_path / "run",
        http_transport=endpoint.transport,
    )


@pytest.mark.parametrize("repeats", [1, 2])
async def test_no_request_follows_an_identical_one(tmp_path: Path, repeats: int) -> None:
    endpoint = FakeEndpoint(owned_by="me")
    run, summary = await _run(tmp_path, endpoint, repeats=repeats)
    assert summary.trials == len(CASES) * 2 * repeats
    bodies = [request.content for request in endpoint.requests]
    assert len(bodies) == summary.trials  # one model request per trial
    assert all(a != b for a, b in itertools.pairwise(bodies))
    # Each (repeat, planner) block ran whole before the next began.
    order = [(row["repeat"], row["planner"]) for row in read_rows(run.results_file)]
    blocks = [key for i, key in enumerate(order) if i == 0 or order[i - 1] != key]
    assert blocks == [(r, p) for r in range(repeats) for p in ("llm", "hybrid")]


async def test_a_one_request_server_reached_by_url_is_serialised(tmp_path: Path) -> None:
    endpoint = FakeEndpoint(owned_by="me")  # what llama-cpp-python's server says
    _, summary = await _run(tmp_path, endpoint)
    assert len(endpoint.probes) == 1
    measured = summary.latency_measurement
    assert measured is not None
    assert (measured.scheduling, measured.concurrency) == ("serialised", 1)
    assert (measured.server, measured.server_started_by_run) == ("llama-cpp-python", False)
    assert "one request at a time" in measured.description
    assert summary.environment.endpoint is not None
    assert summary.environment.endpoint.server == "llama-cpp-python"


async def test_a_batching_server_runs_trials_concurrently(tmp_path: Path) -> None:
    endpoint = FakeEndpoint(owned_by="vllm")
    _, summary = await _run(tmp_path, endpoint)
    measured = summary.latency_measurement
    assert measured is not None
    assert (measured.scheduling, measured.concurrency, measured.server) == (
        "concurrent",
        4,
        "vllm",
    )
    assert "queueing" in measured.description


async def test_an_explicit_server_setting_skips_the_question(tmp_path: Path) -> None:
    endpoint = FakeEndpoint(owned_by="vllm")
    _, summary = await _run(tmp_path, endpoint, llm_server="llama-cpp-python")
    assert endpoint.probes == []
    assert summary.latency_measurement is not None
    assert summary.latency_measurement.scheduling == "serialised"
