"""Does a planner's latency depend on which other planners share the run? It must not.

The llm planner runs over the same cases twice, as `crane-bench eval` runs it, with the
response cache off and the local model server started by the run:

- **alone**: `--planners llm`;
- **with the hybrid**: `--planners llm,hybrid` with `HYBRID_STRATEGY=llm-first`, the
  worst case, where the hybrid sends the model exactly the llm planner's requests.

Printed: the llm planner's p50 in each run and their ratio (the goal: within 15%), and,
in the shared run, the hybrid's p50 over the trials where it asked the model beside the
llm planner's (a hybrid that borrowed the llm planner's prompt cache would be several
times faster). Every third gold case by default; `BENCH_ISOLATION_EVERY=1` runs all.
Numbers are wall-clock on whatever else the machine is doing: run it on a quiet machine.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

import yaml
from rich.console import Console

from bench.figures import Figure, print_figures
from crane_bench.evals.cases import load_cases
from crane_bench.evals.run_config import DEFAULT_CASES, EvalConfig, build_spec
from crane_bench.evals.run_dir import EvalSummary, RunDir
from crane_bench.evals.runner import run_eval
from crane_bench.runtime.settings import PlannerName, Settings

EVERY = int(os.environ.get("BENCH_ISOLATION_EVERY", "3"))
GOAL_RATIO = 1.15


def _subset(root: Path) -> Path:
    cases = load_cases([DEFAULT_CASES])[::EVERY]
    path = root / "cases.yaml"
    data = [case.model_dump(mode="json", exclude_defaults=True) for case in cases]
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _eval(cases: Path, planners: tuple[PlannerName, ...], out: Path) -> EvalSummary:
    settings = Settings(_env_file=None, hybrid_strategy="llm-first", llm_timeout_s=60)
    empty_gates = out.parent / "no-gates.yaml"
    empty_gates.write_text("checks: []\n", encoding="utf-8")
    config = EvalConfig(
        planners=planners, case_paths=(cases,), use_cache=False, gates_path=empty_gates
    )
    run = RunDir.create(out)
    return asyncio.run(run_eval(config, settings, run, build_spec(config, settings)))


def main(console: Console) -> None:
    """Run the llm planner alone and beside the hybrid; print the p50s and their ratios."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cases = _subset(root)
        n = len(load_cases([cases]))
        console.print(f"[bold]latency isolation[/]: {n} gold cases, llm alone then llm,hybrid")
        alone = _eval(cases, ("llm",), root / "alone")
        shared = _eval(cases, ("llm", "hybrid"), root / "shared")
    llm_alone = alone.planners["llm"].latency()
    llm_shared = shared.planners["llm"].latency()
    hybrid = shared.planners["hybrid"].latency("model_latency_ms")
    if llm_alone.p50 is None or llm_shared.p50 is None:
        console.print("[red]no llm latency measured[/]")
        return
    ratio = llm_shared.p50 / llm_alone.p50
    figures = [
        Figure("llm p50, alone", llm_alone.p50, "ms", note=f"n={llm_alone.n}"),
        Figure("llm p50, beside the hybrid", llm_shared.p50, "ms", note=f"n={llm_shared.n}"),
        Figure(
            "ratio (shared / alone)",
            ratio,
            "x",
            goal=f"within {GOAL_RATIO - 1:.0%}",
            note="met" if 1 / GOAL_RATIO <= ratio <= GOAL_RATIO else "NOT met",
        ),
    ]
    if hybrid.p50 is not None:
        figures.append(
            Figure(
                "hybrid p50 when it asked the model",
                hybrid.p50,
                "ms",
                goal="about the llm planner's",
                note=f"n={hybrid.n}; {hybrid.p50 / llm_shared.p50:.2f}x the llm planner's",
            )
        )
    print_figures(console, "llm latency, alone and beside the hybrid", figures)
