"""One eval run with two real local models, each on its own server (integration)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import psutil
import pytest

from crane_bench.evals.results import TrialResult
from crane_bench.evals.run_config import EvalConfig
from crane_bench.evals.run_dir import Recovered
from tests.evals.eval_helpers import CASES, offline_settings, read_rows, run_new

SMOL, GEMMA = "llm[model=smollm2-135m]", "llm[model=gemma3-270m]"


def _model_servers() -> dict[int, str]:
    """This process's llama.cpp servers: pid -> the model file each serves."""
    servers = {}
    for child in psutil.Process().children(recursive=True):
        try:
            command = child.cmdline()
        except psutil.NoSuchProcess:
            continue
        if "llama_cpp.server" in command or (command and Path(command[0]).name == "llama-server"):
            servers[child.pid] = command[command.index("--model") + 1]
    return servers


class ServerWatch:
    """Records which model servers run when the first trial is about to start."""

    def __init__(self) -> None:
        self.at_start: dict[int, str] = {}

    def start(self, totals: Mapping[str, int], recovered: Recovered) -> None:
        self.at_start = _model_servers()

    def advance(self, row: TrialResult) -> None:
        """Nothing to do per trial."""


@pytest.mark.llm
@pytest.mark.integration
async def test_two_local_models_each_get_a_server_stopped_at_the_end(tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(json.dumps(CASES), encoding="utf-8")
    gates = tmp_path / "gates.yaml"
    gates.write_text("checks: []\n", encoding="utf-8")
    config = EvalConfig.model_validate(
        {
            "planners": (SMOL, GEMMA),
            "case_paths": (cases,),
            "gates_path": gates,
            "use_cache": False,
            "case_timeout_s": 300,
        }
    )
    watch = ServerWatch()
    before = _model_servers()
    run, summary = await run_new(
        config, offline_settings(llm_timeout_s=60), tmp_path / "run", progress=watch
    )
    started = {pid: model for pid, model in watch.at_start.items() if pid not in before}
    assert sorted(Path(model).name for model in started.values()) == [
        "SmolLM2-135M-Instruct.Q4_1.gguf",
        "gemma-3-270m-q4_k_m.gguf",
    ]
    assert all(not psutil.pid_exists(pid) for pid in started)
    assert _model_servers() == before
    rows = read_rows(run.results_file)
    assert {row["planner"] for row in rows} == {SMOL, GEMMA}
    assert len(rows) == 2 * len(CASES)
    endpoints = summary.environment.endpoints
    assert (endpoints[SMOL].model, endpoints[GEMMA].model) == ("smollm2-135m", "gemma3-270m")
    assert endpoints[SMOL].base_url != endpoints[GEMMA].base_url
    records = {r.label: r for r in run.read_spec().args.planner_specs}
    assert records[GEMMA].model_file is not None
    assert records[GEMMA].model_file.endswith("gemma-3-270m-q4_k_m.gguf")
    assert records[GEMMA].model_sha256 is not None
    assert records[GEMMA].model_sha256.startswith("a5fd3b62")
    assert summary.latency_measurement is not None
    described = summary.latency_measurement.description
    assert f"Model for {SMOL}:" in described
    assert f"Model for {GEMMA}:" in described
    assert len(summary.comparisons) == 2
