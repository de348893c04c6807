"""Build a run's summary from its results file: metrics, comparisons, gates, environment.

The rows are read back from `results.jsonl` (scalar columns only, `evals.metrics`), so
memory grows with the number of trials, not with what the planners wrote, and a resumed
run is summarised exactly like one that never stopped.
"""

from __future__ import annotations

import platform
import subprocess
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Final

from crane_bench.evals.comparison import compare_all
from crane_bench.evals.gate_power import gate_power
from crane_bench.evals.gates import (
    Baseline,
    GatesConfig,
    check_targets,
    evaluate_gates,
    load_baseline,
)
from crane_bench.evals.metric_registry import DEFAULT_METRICS, MetricRegistry
from crane_bench.evals.metrics import compute_metrics, read_summary_metrics
from crane_bench.evals.robustness import originals
from crane_bench.evals.run_config import EvalConfig, EvalSpec, redact_url
from crane_bench.evals.run_dir import (
    EndpointInfo,
    Environment,
    EvalSummary,
    LatencyMeasurement,
    RunDir,
)
from crane_bench.evals.run_reader import read_results
from crane_bench.evals.sequential_run import SequentialReport, apply_decisions
from crane_bench.evals.warmup import WarmUp, describe
from crane_bench.plumbing.run_files import RESULTS_FILE
from crane_bench.runtime.errors import ConfigError
from crane_bench.runtime.local_llm import LLMEndpoint
from crane_bench.runtime.planners.factory import resolve_llm_mode
from crane_bench.runtime.settings import LLMPlannerMode, Settings

PACKAGES: Final = ("crane-bench", "openai", "llama_cpp_python", "httpx", "pydantic", "pandas")
_GIT_TIMEOUT_S: Final = 5.0


def git_sha(cwd: Path | None = None) -> str | None:
    """The commit checked out in `cwd` (default: the current directory); None outside git."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607 - git from PATH, like any developer tool
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    sha = done.stdout.strip()
    return sha if done.returncode == 0 and sha else None


def _package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def endpoint_info(endpoint: LLMEndpoint, llm_mode: str | None = None) -> EndpointInfo:
    """What a report shows of an endpoint: never its key, its URL redacted."""
    return EndpointInfo(
        base_url=redact_url(endpoint.base_url),
        model=endpoint.model,
        local=endpoint.local,
        kind=endpoint.kind,
        server=endpoint.server,
        slots=endpoint.slots,
        llm_mode=llm_mode,
    )


def environment(
    endpoints: Mapping[str, LLMEndpoint] | None = None,
    llm_modes: Mapping[str, LLMPlannerMode] | None = None,
) -> Environment:
    """Python, platform, package versions, and the model endpoint of each label."""
    modes = llm_modes or {}
    infos = {
        label: endpoint_info(endpoint, modes.get(label))
        for label, endpoint in (endpoints or {}).items()
    }
    return Environment(
        python=sys.version.split()[0],
        platform=platform.platform(),
        packages={name: _package_version(name) for name in PACKAGES},
        endpoint=next(iter(infos.values()), None),
        endpoints=infos,
    )


def load_baseline_file(path: Path) -> Baseline:
    """A baseline from a summary.json (with results.jsonl beside it) or a run directory.

    Raises:
        ConfigError: The path is missing or not a readable run summary.
    """
    if not path.exists():
        raise ConfigError(f"--baseline {path}: no such file or directory")
    try:
        if path.is_dir():
            return load_baseline(path)
        results = path.parent / RESULTS_FILE
        frame = read_results(results) if results.is_file() else None
        return Baseline(metrics=read_summary_metrics(path), frame=frame)
    except ConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - RunLogError or a pandas error: one line, exit 2
        raise ConfigError(f"--baseline {path}: {exc}") from None


def llm_modes(
    config: EvalConfig, settings: Settings, endpoints: Mapping[str, LLMEndpoint]
) -> dict[str, LLMPlannerMode]:
    """How each label's llm planner used its endpoint: `decomposed` or `oneshot`.

    A label's own `mode=` wins over `LLM_PLANNER_MODE`; `auto` is resolved by the
    endpoint (`resolve_llm_mode`).
    """
    specs = {spec.label: spec for spec in config.planners}
    modes: dict[str, LLMPlannerMode] = {}
    for label, endpoint in endpoints.items():
        own = specs[label].settings_for(settings) if label in specs else settings
        modes[label] = resolve_llm_mode(own.llm_planner_mode, endpoint)
    return modes


def _model_sentence(labels: list[str], endpoint: LLMEndpoint, mode: str | None, conc: int) -> str:
    started = "started by this run" if endpoint.local else "reached by URL"
    where = f"{endpoint.server} server ({started}), model {endpoint.model}"
    if mode is not None:
        where += f", llm planner in {mode} mode"
    who = ", ".join(labels)
    if endpoint.traits.one_request_at_a_time:
        return (
            f"Model for {who}: {where}. It serves one request at a time, so its trials ran "
            "one at a time: no queueing is counted as model time. It was loaded before the "
            "first trial (warm)."
        )
    if endpoint.slots is not None:
        at_once = min(conc, endpoint.slots)
        return (
            f"Model for {who}: {where}. It decodes up to {endpoint.slots} requests together "
            f"(continuous batching), and up to {at_once} trials ran at once, so a latency "
            "includes sharing the model's compute with the other trials in flight, but no "
            "queueing for a slot. It was loaded before the first trial (warm)."
        )
    return (
        f"Model for {who}: {where}. Up to {conc} trials ran at once, so a latency may "
        "include queueing at the server."
    )


def latency_measurement(
    config: EvalConfig,
    settings: Settings,
    endpoints: Mapping[str, LLMEndpoint],
    modes: Mapping[str, LLMPlannerMode] | None = None,
    warmups: Sequence[WarmUp] = (),
) -> LatencyMeasurement:
    """How this run measures latency, as a record and in words (one sentence per model).

    Args:
        config: The run's options.
        settings: The process-wide settings (the llm planner's mode).
        endpoints: The endpoint of each label that called a model.
        modes: Each label's llm planner mode; default: resolved from `settings`.
        warmups: The planners' warm-up plans (`evals.warmup`).
    """
    modes = modes if modes is not None else llm_modes(config, settings, endpoints)
    parts = [
        "Latency is each trial's planning time, measured in process around the planner's "
        "plan() call (tools and scoring excluded).",
        describe(list(warmups)),
        "Each planner's trials ran as one block after the previous planner's, so no "
        "request could reuse a prompt that another planner's request left in the model "
        "server's cache; a planner reuses only the instructions its own requests share.",
    ]
    if config.stop_when_decided:
        parts[2] = (
            "The cases ran in rounds (--stop-when-decided), each planner's trials of a round "
            "as one block after the previous planner's; on the last few cases of a round a "
            "request may find the previous planner's prompt for the same case still in a "
            "server slot, so compare latencies from a run of every case."
        )
    groups: dict[tuple[str, str], list[str]] = {}
    for label, endpoint in endpoints.items():
        groups.setdefault((endpoint.base_url, endpoint.model), []).append(label)
    if not groups:
        parts.append(f"No model was called; up to {config.concurrency} trials ran at once.")
    for labels in groups.values():
        first = endpoints[labels[0]]
        parts.append(_model_sentence(labels, first, modes.get(labels[0]), config.concurrency))
    if config.cache_active:
        parts.append(
            "Model answers could come from the on-disk response cache; trials answered "
            "from it are left out of the latency figures (run with --no-cache to measure "
            "every trial)."
        )
    used = list(endpoints.values())
    serial = bool(used) and all(e.traits.one_request_at_a_time for e in used)
    bounds = [min(config.concurrency, e.slots) for e in used if e.slots is not None]
    bounded = bool(used) and len(bounds) == len(used)
    servers = sorted({e.server for e in used})
    distinct_modes = sorted(set(modes.values()))
    return LatencyMeasurement(
        scheduling="serialised" if serial else "concurrent",
        order="rounds" if config.stop_when_decided else "planner_blocks",
        concurrency=1 if serial else max(bounds) if bounded else config.concurrency,
        server=", ".join(servers) if servers else None,
        server_started_by_run=any(e.local for e in used),
        response_cache=config.cache_active,
        warmup=list(warmups),
        llm_mode=", ".join(distinct_modes) if used and distinct_modes else None,
        description=" ".join(parts),
    )


def build_summary(
    run: RunDir,
    spec: EvalSpec,
    *,
    started_at: datetime,
    finished_at: datetime,
    expected_trials: int,
    gates: GatesConfig,
    baseline: Baseline | None,
    endpoints: Mapping[str, LLMEndpoint] | None = None,
    measurement: LatencyMeasurement | None = None,
    modes: Mapping[str, LLMPlannerMode] | None = None,
    metrics: MetricRegistry = DEFAULT_METRICS,
    sequential: SequentialReport | None = None,
) -> EvalSummary:
    """Read the run's results back and summarise them.

    Args:
        run: The run directory.
        spec: What was run.
        started_at: When the run started.
        finished_at: When its last trial finished.
        expected_trials: Cases x planners x repeats.
        gates: The quality gates.
        baseline: The baseline run, for the regression gate.
        endpoints: The model endpoint of each label that called one.
        measurement: How latency was measured.
        modes: Each label's llm planner mode.
        metrics: The metrics to compute (the gates were validated against them).
        sequential: What `--stop-when-decided` decided; its verdicts replace the
            fixed-sample ones of the checks it decided.
    """
    frame = read_results(run.results_file, metrics)
    cached = int(frame["cached"].sum())
    figures = compute_metrics(frame, metrics)
    gold = originals(frame)  # the paired tests compare planners on the unperturbed cases
    report = evaluate_gates(figures, gates, baseline, frame=gold, registry=metrics)
    targets = check_targets(gates, figures)
    power = gate_power(targets, report.checks, figures, gold, metrics)
    if sequential is not None:
        report, sequential = apply_decisions(report, sequential)
    return EvalSummary(
        run_id=run.path.name,
        started_at=started_at,
        finished_at=finished_at,
        spec=spec,
        git_sha=git_sha(),
        environment=environment(endpoints, modes),
        trials=len(frame),
        expected_trials=expected_trials,
        cached_trials=cached,
        planners=figures,
        comparisons=compare_all(gold) if len(figures) > 1 else [],
        gates=report,
        gate_power=power,
        sequential=sequential,
        latency_measurement=measurement,
    )
