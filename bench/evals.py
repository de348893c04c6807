"""Eval runner throughput: the pattern planner over the whole gold suite x 100 repeats.

Every trial is real: plan, validate, execute on fresh tools, score, append to a temp
results.jsonl; then the summary reads the rows back (pandas) and computes the metrics,
pass@k for k = 1..100, the comparisons and the gates. Goal: <= 10 s for the whole run
on one core. `CRANE_BENCH_PROFILE=1 python -m bench evals` adds where the time goes (cProfile).
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import os
import pstats
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from bench.figures import Figure, print_figures
from crane_bench.evals.gates import load_gates
from crane_bench.evals.run_config import DEFAULT_CASES, DEFAULT_GATES, EvalConfig, build_spec
from crane_bench.evals.run_dir import RunDir
from crane_bench.evals.runner import run_eval
from crane_bench.evals.summary import build_summary
from crane_bench.runtime.settings import Settings

REPEATS = 100


async def _run(out: Path) -> tuple[int, float]:
    settings = Settings(_env_file=None)
    config = EvalConfig(
        planners=("pattern",), case_paths=(DEFAULT_CASES,), repeats=REPEATS, use_cache=False
    )
    run = RunDir.create(out)
    began = time.perf_counter()
    summary = await run_eval(config, settings, run, build_spec(config, settings))
    return summary.trials, time.perf_counter() - began


def _summary_seconds(out: Path) -> float:
    """Time of the summary alone: read the rows back, metrics, pass@k, gates."""
    run = RunDir(out)
    spec = run.read_spec()
    began = time.perf_counter()
    build_summary(
        run,
        spec,
        started_at=datetime.now(UTC),
        finished_at=datetime.now(UTC),
        expected_trials=0,
        gates=load_gates(DEFAULT_GATES),
        baseline=None,
    )
    return time.perf_counter() - began


def _profile(console: Console, out: Path) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(_run(out))
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
    console.print(text.getvalue(), markup=False, highlight=False)


def main(console: Console) -> None:
    with tempfile.TemporaryDirectory(prefix="crane-bench-evals-") as tmp:
        out = Path(tmp) / "run"
        trials, seconds = asyncio.run(_run(out))
        summary_s = _summary_seconds(out)
        size_mb = (out / "results.jsonl").stat().st_size / 1e6
        figures = [
            Figure("case trials", trials, "trials", ">= 15,000", f"pattern x suite x {REPEATS}"),
            Figure("whole run", seconds, "s", "<= 10", "trials, then the summary"),
            Figure("throughput", trials / seconds, "trials/s", ">= 3,000"),
            Figure("per trial", (seconds - summary_s) / trials * 1e6, "us/trial", "", "no summary"),
            Figure("summary", summary_s, "s", "", "read back, metrics, pass@k, gates"),
            Figure("results.jsonl", size_mb, "MB"),
        ]
        print_figures(console, "evals", figures)
        if os.environ.get("CRANE_BENCH_PROFILE"):
            _profile(console, Path(tmp) / "profiled")
