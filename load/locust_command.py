"""The locust command line of a load run.

The runner runs locust as a child process rather than in its own process (library
mode), because:

- gevent monkey-patches the standard library on `import locust`; the CLI process
  stays an ordinary Python process (httpx, subprocesses, signals behave as usual);
- `--processes N` (master and forked workers) exists only on locust's command line;
- a crash or a stuck greenlet in locust cannot take the runner down with it, and the
  runner can always stop it (and its workers) by process group;
- what the runner runs is exactly what a user can run by hand: the summary records
  the command line.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from crane_bench.load.config import LoadConfig, dump_labels, format_duration
from crane_bench.load.scenarios import SHAPE_FILE, scenario_file
from crane_bench.load.summary import (
    HISTORY_FILE,
    QUALITY_FILE,
    REPORT_FILE,
    RESULT_FILE,
    STATS_PREFIX,
    UNLOADED_FILE,
)


def locust_command(
    config: LoadConfig, host: str, run_dir: Path, *, python: str = sys.executable
) -> list[str]:
    """`python -m locust ...` for `config` against `host`, writing into `run_dir`."""
    files = [scenario_file(config.scenario)]
    if config.shape != "steady":
        files.append(SHAPE_FILE)
    command = [
        python, "-m", "locust",
        "--locustfile", ",".join(str(f) for f in files),
        "--headless",
        "--only-summary",  # the periodic table costs generator CPU; the log keeps the end
        "--users", str(config.users),
        "--spawn-rate", f"{config.spawn_rate:g}",
        "--run-time", format_duration(config.run_time_s),
        "--host", host,
        "--json-file", str(run_dir / STATS_PREFIX),
        "--html", str(run_dir / REPORT_FILE),
        "--crane-seed", str(config.seed),
        "--crane-failing-share", f"{config.failing_share:g}",
        "--crane-poll-interval", f"{config.poll_interval_s:g}",
        "--crane-run-timeout", f"{config.run_timeout_s:g}",
        "--crane-slo", str(config.slo),
        "--crane-result", str(run_dir / RESULT_FILE),
        "--crane-history", str(run_dir / HISTORY_FILE),
    ]  # fmt: skip
    if config.rate is not None:
        command += ["--crane-rate", f"{config.rate:g}", "--crane-rate-users", str(config.users)]
    if len(config.planners) == 1:
        command += ["--crane-planner", config.planners[0]]
    elif config.planners:
        command += ["--crane-planner", dump_labels(config.planners)]
    if config.baseline is not None:
        command += ["--crane-baseline", str(config.baseline)]
    if config.shape != "steady":
        command += ["--crane-shape", config.shape]
    if config.steps:
        command += ["--crane-steps", ",".join(str(users) for users in config.steps)]
    if config.scenario == "gold":
        command += [
            "--crane-cases", os.pathsep.join(str(path) for path in config.cases),
            "--crane-quality", str(run_dir / QUALITY_FILE),
        ]  # fmt: skip
        if (run_dir / UNLOADED_FILE).is_file():
            command += [
                "--crane-unloaded", str(run_dir / UNLOADED_FILE),
                "--crane-unloaded-source", str(config.unloaded),
            ]  # fmt: skip
    if config.processes > 1:
        # The workers are forked on this machine and reach the master on loopback; locust's
        # default binds every interface (`*:5557`). A run across machines starts its master
        # by hand (load/README.md, "Distributed load") and binds what it needs.
        command += ["--processes", str(config.processes), "--master-bind-host", "127.0.0.1"]
    return command
