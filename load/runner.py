"""`run_load`: start the service (unless given a host), run locust, collect, write the summary.

Order: check the SLO file and the baseline (a bad one stops the run before anything
starts), and for the `gold` scenario the cases and an eval run to compare with; check that
a `--host` answers at all (rather than hammer a dead port for the whole run time), start
the service and wait for readiness, make the `gold` scenario's unloaded pass (or write the
eval's rows it compares with), scrape `/metrics`, run locust while
sampling the CPU of both process trees, scrape again, stop the service, then read
locust's result and write `load_summary.json`. Every process started here is stopped
here, on success, on error and on Ctrl-C (locust is asked first, so it still writes
what it measured; the summary is then marked `interrupted`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

import httpx

from crane_bench.load.config import LoadConfig
from crane_bench.load.errors import LoadConfigError, LocustRunError, ResultError
from crane_bench.load.locust_command import locust_command
from crane_bench.load.processes import CpuSampler, spawn, stop, tail
from crane_bench.load.server_metrics import Samples, counts_between, scrape
from crane_bench.load.service import ServiceCommand, ServiceProcess
from crane_bench.load.slo import load_slo
from crane_bench.load.summary import (
    HISTORY_FILE,
    LOCUST_LOG,
    QUALITY_FILE,
    REPORT_FILE,
    RESULT_FILE,
    SERVICE_LOG,
    STATS_PREFIX,
    SUMMARY_FILE,
    UNLOADED_FILE,
    LoadResult,
    LoadSummary,
    read_result,
    read_summary,
)
from crane_bench.plumbing.run_files import write_atomically as write_json_atomically

if TYPE_CHECKING:
    from crane_bench.load.reference import GoldReference

SAMPLE_EVERY_S: Final = 0.25
REACH_TIMEOUT_S: Final = 5.0
OVERRUN_S: Final = 120.0  # locust's own start and stop on top of the run time
Progress = Callable[[str], None]
# The service this runner starts: no access log (it would cost the service CPU), and a
# short drain, since runs still in flight once the load is over are not waited for.
SERVICE_ENV: Final = {"SERVICE_ACCESS_LOG": "false", "SERVICE_DRAIN_TIMEOUT_S": "2"}
SERVICE_STORE: Final = "service-runs.db"
"""The SQLite run store of the service this runner starts, in the run directory: the
store a deployment uses by default, kept with the run rather than in the working folder."""


def run_load(
    config: LoadConfig,
    run_dir: Path,
    *,
    service: ServiceCommand | None = None,
    service_env: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> LoadSummary:
    """Run one load test and write its run directory.

    Args:
        config: What to run.
        run_dir: Directory to create (or an empty one) for every output.
        service: Builds the command that serves on a port; used when `config.host` is
            None, to start the service on a free loopback port.
        service_env: Extra environment variables for the started service.
        progress: Told about each phase in one line (the CLI prints them).

    Raises:
        LoadConfigError: A bad SLO file, baseline, run directory, case file or eval run
            to compare with, or a `config.host` where nothing answers; nothing was
            started. Or the service refused a run of the unloaded pass (a label it lacks).
        ServiceStartError: The service did not become ready.
        UnloadedPassError: The service failed a run of the unloaded pass.
        LocustRunError: locust ended without a result.
        KeyboardInterrupt: Interrupted before locust had measured anything.
    """
    say = progress or (lambda _line: None)
    load_slo(config.slo)
    if config.baseline is not None:
        read_summary(config.baseline)
    gold = _gold(config) if config.scenario == "gold" else None
    if config.host is None and service is None:
        raise LoadConfigError("no --host and no service to start")
    if config.host is not None:
        check_reachable(config.host)
    _prepare(run_dir)
    started_at = datetime.now(UTC)
    with ExitStack() as stack:
        if config.host is not None or service is None:
            host, service_cpu = config.host or "", None
        else:
            say("starting the service")
            store = f"sqlite:///{(run_dir / SERVICE_STORE).resolve()}"
            env = {**SERVICE_ENV, "RUN_STORE_URL": store, **(service_env or {})}
            stack.callback(say, "service stopped")  # runs after the service has stopped
            started = stack.enter_context(
                ServiceProcess(
                    service, run_dir / SERVICE_LOG, ready_timeout_s=config.ready_timeout_s, env=env
                )
            )
            host = started.base_url
            service_cpu = CpuSampler(started.pid) if started.pid else None
            say(f"service ready at {host}")
        client = stack.enter_context(httpx.Client(timeout=10.0))
        if gold is not None:
            gold.write(client, host, run_dir / UNLOADED_FILE, say)
        before, before_error = _scrape(client, host)
        command = locust_command(config, host, run_dir)
        say(f"locust: {config.scenario}, {config.users} users, {config.run_time_s:g} s")
        locust = _run_locust(command, run_dir, config.run_time_s, service_cpu)
        after, after_error = _scrape(client, host)
    result = _read_result(run_dir, locust)
    window = (result.started_at.timestamp(), result.ended_at.timestamp())
    summary = LoadSummary(
        run_id=run_dir.name,
        started_at=started_at,
        finished_at=datetime.now(UTC),
        config=config,
        host=host,
        locust_command=command,
        locust_exit_code=locust.exit_code,
        interrupted=locust.interrupted,
        requests=result.requests,
        rate=result.rate,
        peak_users=result.peak_users,
        unfinished_runs=result.unfinished_runs,
        generator_cpu=locust.cpu.report(*window),
        service_cpu=service_cpu.report(*window) if service_cpu is not None else None,
        server=(
            counts_between(before, after) if before is not None and after is not None else None
        ),
        server_error=before_error or after_error,
        quality=result.quality,
        gates=result.gates,
        files=_files(run_dir),
    )
    write_json_atomically(run_dir / SUMMARY_FILE, summary.model_dump_json(indent=2))
    return summary


def _gold(config: LoadConfig) -> GoldReference:
    # Only the gold scenario needs the eval package (and pandas, statsmodels) here.
    from crane_bench.load.reference import GoldReference  # noqa: PLC0415

    return GoldReference.prepare(config)


@dataclass(frozen=True)
class _LocustRun:
    exit_code: int
    interrupted: bool
    """Stopped by Ctrl-C."""
    overran: bool
    """Stopped because it ran far past its run time."""
    cpu: CpuSampler


def _run_locust(
    command: list[str], run_dir: Path, run_time_s: float, service_cpu: CpuSampler | None
) -> _LocustRun:
    """Run locust to its end, or until Ctrl-C, sampling the CPU of both process trees."""
    process = spawn(command, run_dir / LOCUST_LOG)
    cpu = CpuSampler(process.pid)
    deadline = time.monotonic() + run_time_s + OVERRUN_S
    interrupted = overran = False
    try:
        try:
            while process.poll() is None and not overran:
                cpu.sample()
                if service_cpu is not None:
                    service_cpu.sample()
                overran = time.monotonic() > deadline
                time.sleep(SAMPLE_EVERY_S)
        except KeyboardInterrupt:
            interrupted = True
        # Ask locust to quit (SIGTERM): its quitting listener still writes the result.
        return _LocustRun(stop(process), interrupted, overran, cpu)
    finally:
        if process.poll() is None:  # a second Ctrl-C while stopping
            stop(process, grace_s=1.0)


def _read_result(run_dir: Path, locust: _LocustRun) -> LoadResult:
    log = run_dir / LOCUST_LOG
    if locust.overran:
        raise LocustRunError(
            f"locust ran {OVERRUN_S:g} s past its run time and was stopped; see {log}"
        )
    try:
        return read_result(run_dir / RESULT_FILE)
    except ResultError as exc:
        if locust.interrupted:
            raise KeyboardInterrupt from exc
        raise LocustRunError(
            f"locust exited with {locust.exit_code} and wrote no result ({exc}); "
            f"last lines of {log}:\n{tail(log)}"
        ) from exc


def check_reachable(host: str, timeout_s: float = REACH_TIMEOUT_S) -> None:
    """Make one request to `host`; any HTTP answer will do, no answer is a user's mistake.

    Raises:
        LoadConfigError: Nothing accepts connections there, or nothing answers in time.
    """
    try:
        with httpx.Client(timeout=timeout_s) as client:
            client.get(f"{host}/api/v1/health/liveness")
    except httpx.HTTPError as exc:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise LoadConfigError(
            f"--host {host}: nothing answers there ({detail}); start the service, "
            "or leave out --host to let load start one"
        ) from None


def _prepare(run_dir: Path) -> None:
    if run_dir.exists() and (not run_dir.is_dir() or any(run_dir.iterdir())):
        raise LoadConfigError(f"--out {run_dir}: exists and is not an empty directory")
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LoadConfigError(f"--out {run_dir}: {exc.strerror or exc}") from exc


def _scrape(client: httpx.Client, host: str) -> tuple[Samples | None, str | None]:
    try:
        return scrape(client, host), None
    except httpx.HTTPStatusError as exc:
        return None, f"/metrics answered HTTP {exc.response.status_code}"
    except (httpx.HTTPError, ValueError) as exc:
        return None, f"/metrics: {type(exc).__name__}: {exc}"


def _files(run_dir: Path) -> dict[str, str]:
    names = {
        "summary": SUMMARY_FILE,
        "result": RESULT_FILE,
        "history": HISTORY_FILE,
        "quality": QUALITY_FILE,
        "unloaded": UNLOADED_FILE,
        "locust_stats": f"{STATS_PREFIX}.json",
        "locust_report": REPORT_FILE,
        "locust_log": LOCUST_LOG,
        "service_log": SERVICE_LOG,
    }
    return {
        role: name for role, name in names.items() if role == "summary" or (run_dir / name).exists()
    }
