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
from evals.run_config import EvalSpec, redact_url
from evals.run_dir import EndpointInfo, Environment, EvalSummary, RunDir
from plumbing.run_files import RESULTS_FILE, JsonlReader
from runtime.errors import ConfigError
from runtime.local_llm import LLMEndpoint

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


def environment(endpoint: LLMEndpoint | None) -> Environment:
    """Python, platform, package versions, and the model endpoint (without its key)."""
    info = None
    if endpoint is not None:
        info = EndpointInfo(
            base_url=redact_url(endpoint.base_url),
            model=endpoint.model,
            local=endpoint.local,
            kind=endpoint.kind,
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
) -> EvalSummary:
    """Read the run's results back and summarise them."""
    frame = read_results(run.results_file)
    cached = _cached_trials(run.results_file)
    metrics = compute_metrics(frame)
    return EvalSummary(
        run_id=run.path.name,
        started_at=started_at,
        finished_at=finished_at,
        spec=spec,
        git_sha=git_sha(),
        environment=environment(endpoint),
        trials=len(frame),
        expected_trials=expected_trials,
        cached_trials=cached,
        planners=metrics,
        comparisons=compare_all(frame) if len(metrics) > 1 else [],
        gates=evaluate_gates(metrics, gates, baseline, frame=frame),
    )


def _cached_trials(path: Path) -> int:
    # `cached` is not among the frame's scalar columns; one streaming pass counts it.
    return sum(
        isinstance(line.data, dict) and line.data.get("cached") is True
        for line in JsonlReader(path)
    )
