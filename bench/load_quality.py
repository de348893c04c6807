"""Accuracy under load with the real local model: does the hybrid answer worse as users rise?

One `gold` load run through `load.run_load`, as `crane-bench load --scenario gold` makes
it: the service with two hybrids, `hybrid[strategy=llm-first]` (asks the model about
every prompt) and `hybrid` (the default `clause-merge`), both on the packaged SmolLM2
behind llama.cpp's server, which serves one request at a time. Each case drawn goes to
both planners in turn. First an unloaded pass (every case once per planner, one at a
time), then a step load of 1, 2, 4 and 8 users. Printed per planner and step: runs, plan
accuracy with its Wilson 95% interval (runs clustered by case), fallbacks by timeout, and
RUN p50/p95 (submit to done), beside the unloaded figures; then the paired comparison.

Every eighth gold case by default (`BENCH_QUALITY_EVERY`), `BENCH_QUALITY_STEP_S` seconds
per step (30). The settings are the defaults (`LLM_TIMEOUT_S` 20 s): fallbacks by timeout
appear only when the model's queue outgrows them. Wall-clock figures on whatever else the
machine is doing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from crane_bench.cli.load import planner_choice, serve_command
from crane_bench.evals.cases import load_cases
from crane_bench.load import LoadConfig, run_load
from crane_bench.load.config import DEFAULT_CASES
from crane_bench.load.quality import QualityStats

EVERY = int(os.environ.get("BENCH_QUALITY_EVERY", "8"))
STEP_S = float(os.environ.get("BENCH_QUALITY_STEP_S", "30"))
STEPS = (1, 2, 4, 8)
PLANNERS = "hybrid[strategy=llm-first],hybrid"
# A permissive SLO: the bench prints figures and never fails on them.
SLO = "max_fail_ratio: {}\nquality: {not_below_unloaded: [], checks: []}\n"


def _subset(root: Path) -> Path:
    cases = load_cases([DEFAULT_CASES])[::EVERY]
    path = root / "cases.yaml"
    path.write_text(
        yaml.safe_dump([c.model_dump(mode="json", exclude_defaults=True) for c in cases]),
        encoding="utf-8",
    )
    return path


def _cells(stats: QualityStats) -> list[str]:
    low, high = stats.plan_accuracy_ci or (0.0, 1.0)
    accuracy = "-" if stats.plan_accuracy is None else f"{stats.plan_accuracy:.2f}"
    timeouts = stats.fallback_reasons.get("timeout", 0)
    ms = [("-" if v is None else f"{v:,.0f}") for v in (stats.run_p50_ms, stats.run_p95_ms)]
    return [f"{stats.n:,}", f"{accuracy} ({low:.2f}-{high:.2f})", f"{timeouts:,}", *ms]


def main(console: Console) -> None:
    """Run the step load and print accuracy and RUN latency per planner and step."""
    labels, served = planner_choice(PLANNERS, None)
    with tempfile.TemporaryDirectory(prefix="bench-load-quality-") as tmp:
        root = Path(tmp)
        (root / "slo.yaml").write_text(SLO, encoding="utf-8")
        config = LoadConfig(
            scenario="gold",
            users=max(STEPS),
            spawn_rate=max(STEPS),
            run_time_s=STEP_S * len(STEPS),
            shape="step",
            steps=STEPS,
            planners=labels,
            cases=(_subset(root),),
            slo=root / "slo.yaml",
            run_timeout_s=300.0,
            ready_timeout_s=300.0,
        )
        summary = run_load(
            config,
            root / "run",
            service=serve_command(served),
            progress=lambda line: console.print(f"[dim]{line}[/]"),
        )
    quality = summary.quality
    if quality is None:
        console.print("[red]no run finished: no accuracy to show[/]")
        return
    table = Table(
        title=f"accuracy under load ({quality.planners[labels[0]].cases} gold cases, "
        f"{STEP_S:g} s per step, local SmolLM2)",
        title_justify="left",
    )
    for column in (
        "planner",
        "users",
        "runs",
        "plan acc. (95% CI)",
        "timeouts",
        "p50 ms",
        "p95 ms",
    ):
        table.add_column(column, justify="left" if column == "planner" else "right")
    for label, planner in quality.planners.items():
        if planner.unloaded is not None:
            table.add_row(escape(label), "unloaded", *_cells(planner.unloaded))
        for step in planner.by_step:
            table.add_row(escape(label), str(step.users), *_cells(step))
    console.print(table)
    for label, planner in quality.planners.items():
        for comparison in planner.comparisons:
            console.print(f"{label}: {comparison.verdict}", highlight=False, markup=False)
    cpu = summary.service_cpu
    console.print(
        f"service CPU {cpu.cores_used:.2f} cores of {cpu.cores}" if cpu else "",
        f"; load generator {summary.generator_cpu.cores_used:.2f} cores",
    )


if __name__ == "__main__":
    main(Console())
