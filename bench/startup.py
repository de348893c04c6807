"""CLI start-up: `crane-bench plan` (pattern), `--help`, beside a bare `python -c pass`.

Each command runs as a fresh process, alternating with the bare interpreter, so both see
the same machine load; the median of the runs is shown and the ratio between them.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from rich.console import Console

from bench.figures import Figure, print_figures

RUNS = 5
BARE = [sys.executable, "-c", "pass"]
CLI = [sys.executable, "-m", "crane_bench.cli.app"]
COMMANDS = {
    "crane-bench plan (pattern)": [*CLI, "plan", "calculate 2 + 2", "--planner", "pattern"],
    "crane-bench --help": [*CLI, "--help"],
}


def _seconds(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - began


def main(console: Console) -> None:
    """Measure and print the start-up figures."""
    figures = []
    for name, command in COMMANDS.items():
        bare, cli = [], []
        for _ in range(RUNS):
            bare.append(_seconds(BARE))
            cli.append(_seconds(command))
        bare_s, cli_s = statistics.median(bare), statistics.median(cli)
        figures += [
            Figure(name, cli_s * 1000, "ms", "", f"median of {RUNS}"),
            Figure("  python -c pass, same runs", bare_s * 1000, "ms"),
            Figure("  ratio", cli_s / bare_s, "x", "<= 8"),
        ]
    print_figures(console, "CLI start-up", figures)
