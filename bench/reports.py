"""Report build time and size: the eval report of a 10,000-trial run (3 planners x suite x 18).

The run is synthetic but shaped like a real one: the gold suite's cases and expected
plans, a pattern planner that is right or wrong per case, and two model planners whose
chance of success varies by case and that go wrong in one or two ways per case, with raw
model output and fallback reasons.
Its summary is made by the real `evals.summary.build_summary`. Goal (issue 23): the report
builds in <= 1.5 s, and the HTML stays <= 1.5 MB. `CRANE_BENCH_PROFILE=1` adds a cProfile listing.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from bench.figures import Figure, print_figures
from crane_bench.evals.cases import Case, load_cases
from crane_bench.evals.gates import load_gates
from crane_bench.evals.results import OutcomeClass, TrialResult
from crane_bench.evals.run_config import (
    DEFAULT_CASES,
    DEFAULT_GATES,
    PLANNER_NAMES,
    EvalConfig,
    build_spec,
)
from crane_bench.evals.run_dir import ResultsWriter, RunDir
from crane_bench.evals.summary import build_summary
from crane_bench.reports import build_eval_report
from crane_bench.reports.render import assets
from crane_bench.runtime.models import Plan, PlanStep
from crane_bench.runtime.settings import Settings

PLANNERS = PLANNER_NAMES
REPEATS = 18
RIGHT = {"pattern": 0.85, "llm": 0.6, "hybrid": 0.8}
VARIANT_OUTCOMES = [
    OutcomeClass.FALSE_ABSTAIN,
    OutcomeClass.INVALID_PLAN,
    OutcomeClass.WRONG_TOOL,
    OutcomeClass.WRONG_ARGS,
]
REASONS = ["invalid_json", "timeout", "unknown_tool", "model_error"]


def _first(value: Any) -> Any:
    """An expected input value with each `{any_of: [...]}` resolved to its first option."""
    if isinstance(value, dict):
        if set(value) == {"any_of"}:
            return _first(value["any_of"][0])
        return {k: _first(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_first(v) for v in value]
    return value


def _expected_plan(case: Case) -> Plan:
    return Plan(steps=[PlanStep(tool=s.tool, input=_first(s.input)) for s in case.expected.steps])


def _wrong_plan(case: Case, variant: int) -> Plan | None:
    if variant == 0:
        return Plan(steps=[])
    if variant == 1:
        return None
    tool = "calculator" if variant == 2 else "todo_store"
    data: dict[str, Any] = (
        {"expression": f"{variant} * 7"}
        if tool == "calculator"
        else {
            "action": "add",
            "title": case.prompt[:40],
        }
    )
    return Plan(steps=[PlanStep(tool=tool, input=data)])


def _row(case: Case, planner: str, repeat: int, rng: random.Random) -> TrialResult:
    # Some cases are hard for a planner and others easy, and a planner tends to get a hard
    # case wrong in one or two ways, as real planners do: that shapes the failing table.
    case_rng = random.Random(zlib.crc32(f"{planner}/{case.id}".encode()))
    model = planner != "pattern"
    chance = min(1.0, max(0.0, RIGHT[planner] + (case_rng.random() - 0.5) * 0.8))
    right = rng.random() < chance if model else case_rng.random() < RIGHT[planner]
    favoured = case_rng.sample(range(len(VARIANT_OUTCOMES)), 2)
    variant = favoured[0] if rng.random() < 0.8 else favoured[1]
    outcome = OutcomeClass.CORRECT if right else VARIANT_OUTCOMES[variant]
    plan = _expected_plan(case) if right else _wrong_plan(case, variant)
    raw = None
    if model:
        raw = plan.model_dump_json() if plan else '{"steps": [{"tool": "calc' + "x" * 200
        raw += " " * rng.randrange(3)
    return TrialResult(
        case_id=case.id,
        planner=planner,
        repeat=repeat,
        category=case.category,
        outcome=outcome,
        tool_correct=right,
        step_count_correct=right,
        args_correct=right,
        plan_correct=right,
        end_to_end_correct=right,
        valid_plan=plan is not None,
        expected_abstain=not case.expected.steps,
        abstained=plan is not None and not plan.steps,
        latency_ms=rng.lognormvariate(6.2, 0.5) if model else rng.lognormvariate(-1.5, 0.6),
        tokens_in=190 if model else 0,
        tokens_out=rng.randrange(15, 60) if model else 0,
        model="smollm2-135m" if model else None,
        fallback_reason=rng.choice(REASONS) if planner == "hybrid" and rng.random() < 0.2 else None,
        plan=plan,
        raw_output=raw,
        run_status="completed" if plan is not None else None,
        error=None if plan is not None else "LLMResponseError: output is not a plan",
    )


def make_run(out: Path) -> int:
    """Write a synthetic 10,000-trial eval run into `out`; returns the trial count."""
    settings = Settings(_env_file=None)
    config = EvalConfig(planners=PLANNERS, case_paths=(DEFAULT_CASES,), repeats=REPEATS)
    spec = build_spec(config, settings)
    run = RunDir.create(out)
    run.write_spec(spec)
    cases = load_cases([DEFAULT_CASES])
    rng = random.Random(20260302)
    trials = 0
    with ResultsWriter(run.results_file) as writer:
        for repeat in range(REPEATS):
            for case in cases:
                for planner in PLANNERS:
                    writer.append(_row(case, planner, repeat, rng))
                    trials += 1
    now = datetime.now(UTC)
    summary = build_summary(
        run,
        spec,
        started_at=now,
        finished_at=now,
        expected_trials=trials,
        gates=load_gates(DEFAULT_GATES),
        baseline=None,
    )
    run.write_summary(summary)
    return trials


def main(console: Console) -> None:
    with tempfile.TemporaryDirectory(prefix="crane-bench-reports-") as tmp:
        out = Path(tmp) / "run"
        trials = make_run(out)
        times = []
        for _ in range(3):
            began = time.perf_counter()
            files = build_eval_report(out)
            times.append(time.perf_counter() - began)
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "crane_bench.cli.app", "report", str(out)],
            check=True,
            capture_output=True,
        )
        cli_s = time.perf_counter() - began
        size_mb = files.html.stat().st_size / 1e6
        plotly = assets(charts=True).plotly
        plotly_mb = len(str(plotly.packed)) / 1e6 if plotly else 0.0
        figures = [
            Figure(
                "trials", trials, "trials", ">= 10,000", f"{len(PLANNERS)} planners x {REPEATS}"
            ),
            Figure(
                "first build", times[0], "s", "<= 1.5", "in process: templates, plotly.js packed"
            ),
            Figure("build", statistics.median(times[1:]), "s", "<= 1.5", "median of the next 2"),
            Figure("crane-bench report", cli_s, "s", "", "a fresh process, imports included"),
            Figure(
                "report.html",
                size_mb,
                "MB",
                "<= 1.5",
                f"{plotly_mb:.2f} MB of it plotly.js, packed",
            ),
            Figure("summary.md", files.markdown.stat().st_size / 1e3, "kB"),
        ]
        print_figures(console, "reports", figures)
        if os.environ.get("CRANE_BENCH_PROFILE"):
            profiler = cProfile.Profile()
            profiler.runcall(build_eval_report, out)
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
            console.print(text.getvalue(), markup=False, highlight=False)
