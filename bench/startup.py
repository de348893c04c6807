"""CLI start-up: `crane-bench plan` (pattern), `run`, `--help`, beside a bare `python -c pass`.

Each command runs as a fresh process, alternating with the bare interpreter, so both see
the same machine load; the median of the runs is shown and the ratio between them. The
CPU time (user + system) of each process is shown too: on a busy machine the wall clock
counts the time spent waiting for a core, the CPU time does not.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time

from rich.console import Console

from bench.figures import Figure, print_figures

RUNS = 11
BARE = [sys.executable, "-c", "pass"]
CLI = [sys.executable, "-m", "crane_bench.cli.app"]
COMMANDS = {
    "crane-bench plan (pattern)": [*CLI, "plan", "calculate 2 + 2", "--planner", "pattern"],
    "crane-bench run (pattern)": [*CLI, "run", "calculate 2 + 2", "--planner", "pattern"],
    "crane-bench --help": [*CLI, "--help"],
}


def _times(command: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of `command`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(console: Console) -> None:
    """Measure and print the start-up figures."""
    figures = []
    for name, command in COMMANDS.items():
        bare, cli = [], []
        for _ in range(RUNS):
            bare.append(_times(BARE))
            cli.append(_times(command))
        bare_s, cli_s = (statistics.median(t[0] for t in runs) for runs in (bare, cli))
        bare_cpu, cli_cpu = (statistics.median(t[1] for t in runs) for runs in (bare, cli))
        figures += [
            Figure(name, cli_s * 1000, "ms", "", f"median of {RUNS}"),
            Figure("  python -c pass, same runs", bare_s * 1000, "ms"),
            Figure("  ratio", cli_s / bare_s, "x", "<= 8"),
            Figure("  CPU", cli_cpu * 1000, "ms", note="user + system"),
            Figure("  CPU of python -c pass", bare_cpu * 1000, "ms"),
            Figure("  CPU ratio", cli_cpu / bare_cpu, "x", "<= 8"),
        ]
    print_figures(console, "CLI start-up", figures)
