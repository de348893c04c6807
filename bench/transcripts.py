"""What transcripts cost: eval throughput with and without them, and their size on disk.

The pattern planner over the gold suite x REPEATS, with transcripts on and off, in
alternating order (on, off, on, off) so that drift on a shared machine hits both; the
figure is the median of each. The pattern planner's trials are the harness's fastest,
so this is the largest relative cost transcripts can have (a model call dwarfs it).

Model trials record far more (prompts, grammars, raw answers): set
`CRANE_BENCH_LLM_RUN=runs/<dir>` to a run made with the llm or hybrid planner, and the
size of its transcripts per 1,000 trials that called the model is printed too.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console

from bench.figures import Figure, print_figures
from crane_bench.evals.run_config import DEFAULT_CASES, EvalConfig, build_spec
from crane_bench.evals.run_dir import RunDir
from crane_bench.evals.runner import run_eval
from crane_bench.runtime.settings import Settings

REPEATS = 20
ROUNDS = 2


async def _run(out: Path, *, transcripts: bool) -> tuple[int, float]:
    settings = Settings(_env_file=None)
    config = EvalConfig(
        planners=("pattern",),
        case_paths=(DEFAULT_CASES,),
        repeats=REPEATS,
        use_cache=False,
        transcripts=transcripts,
    )
    run = RunDir.create(out)
    began = time.perf_counter()
    summary = await run_eval(config, settings, run, build_spec(config, settings))
    return summary.trials, time.perf_counter() - began


def _llm_run_figures(run_dir: Path) -> list[Figure]:
    run = RunDir(run_dir)
    model_trials = 0
    model_bytes = 0
    with run.transcripts_file.open("rb") as handle:
        for line in handle:
            data = json.loads(line)
            if any(event.get("kind") == "model_call" for event in data.get("events", [])):
                model_trials += 1
                model_bytes += len(line)
    if not model_trials:
        return [Figure("LLM transcripts", 0, "trials", "", f"none in {run_dir}")]
    per_1000 = model_bytes / model_trials * 1000 / 1e6
    return [
        Figure("LLM trials", model_trials, "trials", "", f"with a model call, in {run_dir}"),
        Figure("LLM transcripts", per_1000, "MB/1,000 trials", "", "scaled from those trials"),
    ]


def main(console: Console) -> None:
    seconds: dict[bool, list[float]] = {True: [], False: []}
    trials = 0
    size = 0
    with tempfile.TemporaryDirectory(prefix="crane-bench-transcripts-") as tmp:
        for index in range(ROUNDS * 2):
            on = index % 2 == 0
            out = Path(tmp) / f"run-{index}"
            trials, took = asyncio.run(_run(out, transcripts=on))
            seconds[on].append(took)
            if on:
                size = (out / "transcripts.jsonl").stat().st_size
    with_s, without_s = statistics.median(seconds[True]), statistics.median(seconds[False])
    figures = [
        Figure("trials per run", trials, "trials", "", f"pattern x suite x {REPEATS}"),
        Figure("with transcripts", trials / with_s, "trials/s", "", f"median of {ROUNDS} runs"),
        Figure("without", trials / without_s, "trials/s", "", f"median of {ROUNDS} runs"),
        Figure("cost", (with_s / without_s - 1) * 100, "% time", "", "whole run, summary included"),
        Figure("pattern transcripts", size / trials * 1000 / 1e6, "MB/1,000 trials"),
    ]
    if run_dir := os.environ.get("CRANE_BENCH_LLM_RUN"):
        figures += _llm_run_figures(Path(run_dir))
    print_figures(console, "transcripts", figures)
