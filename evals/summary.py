"""Build a run's summary from its results file: metrics, comparisons, gates, environment.

The rows are read back from `results.jsonl` (scalar columns only, `evals.metrics`), so
memory grows with the number of trials, not with what the planners wrote, and a resumed
run is summarised exactly like one that never stopped.
"""

from __future__ import annotations

import platform
import subprocess
import sys
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Final

from evals.comparison import compare_all
from evals.gates import Baseline, GatesConfig, evaluate_gates, load_baseline
from evals.metrics import compute_metrics, read_results, read_summary_metrics
from evals.robustness import originals
from evals.run_config import EvalConfig, EvalSpec, redact_url
from evals.run_dir import EndpointInfo, Environment, EvalSummary, LatencyMeasurement, RunDir
from plumbing.run_files import RESULTS_FILE
from runtime.errors import ConfigError
from runtime.local_llm import LLMEndpoint
from runtime.settings import LLMPlannerMode

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


def environment(endpoint: LLMEndpoint | None, llm_mode: str | None = None) -> Environment:
    """Python, platform, package versions, and the model endpoint (without its key)."""
    info = None
    if endpoint is not None:
        info = EndpointInfo(
            base_url=redact_url(endpoint.base_url),
            model=endpoint.model,
            local=endpoint.local,
            kind=endpoint.kind,
            server=endpoint.server,
            llm_mode=llm_mode,
        )
    return Environment(
        python=sys.version.split()[0],
        platform=platform.platform(),
        packages={name: _package_version(name) for name in PACKAGES},
        endpoint=info,
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


def latency_measurement(
    config: EvalConfig,
    endpoint: LLMEndpoint | None,
    *,
    serial_llm: bool,
    llm_mode: LLMPlannerMode | None = None,
) -> LatencyMeasurement:
    """How this run measures latency, as a record and in words."""
    cache = config.cache_active
    parts = [
        "Latency is each trial's planning time, measured in process around the planner's "
        "plan() call (tools and scoring excluded).",
        "Each planner's trials ran as one block after the previous planner's, so no "
        "request could reuse a prompt that another planner's request left in the model "
        "server's cache; a planner reuses only the instructions its own requests share.",
    ]
    if endpoint is None:
        parts.append(f"No model was called; up to {config.concurrency} trials ran at once.")
    else:
        started = "started by this run" if endpoint.local else "reached by URL"
        where = f"{endpoint.server} server ({started}), model {endpoint.model}"
        if llm_mode is not None:
            where += f", llm planner in {llm_mode} mode"
        if serial_llm:
            parts.append(
                f"Model: {where}. It serves one request at a time, so model trials ran one "
                "at a time: no queueing is counted as model time. The server was loaded "
                "before the first trial (warm)."
            )
        else:
            parts.append(
                f"Model: {where}. Up to {config.concurrency} trials ran at once, so a "
                "latency may include queueing at the server."
            )
    if cache:
        parts.append(
            "Model answers could come from the on-disk response cache; trials answered "
            "from it are left out of the latency figures (run with --no-cache to measure "
            "every trial)."
        )
    return LatencyMeasurement(
        scheduling="serialised" if serial_llm else "concurrent",
        concurrency=1 if serial_llm else config.concurrency,
        server=endpoint.server if endpoint is not None else None,
        server_started_by_run=endpoint is not None and endpoint.local,
        response_cache=cache,
        llm_mode=llm_mode if endpoint is not None else None,
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
    endpoint: LLMEndpoint | None,
    measurement: LatencyMeasurement | None = None,
) -> EvalSummary:
    """Read the run's results back and summarise them."""
    frame = read_results(run.results_file)
    cached = int(frame["cached"].sum())
    metrics = compute_metrics(frame)
    gold = originals(frame)  # the paired tests compare planners on the unperturbed cases
    return EvalSummary(
        run_id=run.path.name,
        started_at=started_at,
        finished_at=finished_at,
        spec=spec,
        git_sha=git_sha(),
        environment=environment(
            endpoint, measurement.llm_mode if measurement is not None else None
        ),
        trials=len(frame),
        expected_trials=expected_trials,
        cached_trials=cached,
        planners=metrics,
        comparisons=compare_all(gold) if len(metrics) > 1 else [],
        gates=evaluate_gates(metrics, gates, baseline, frame=gold),
        latency_measurement=measurement,
    )
