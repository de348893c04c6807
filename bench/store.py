"""What durability costs: `POST /api/v1/runs?wait=true` with the SQLite store against memory.

The same service, served the same way as the `service` benchmark (uvicorn, one worker,
a child process, 32 closed-loop clients), once with `RUN_STORE_URL=memory://` and once
with a SQLite file in a temporary folder (WAL, `synchronous=normal`, the default), and
once with `synchronous=full` (an fsync per group commit). Every run writes three times
(pending, running, finished) before a `?wait=true` answer. Goal: SQLite serves at least
0.7 of the in-memory runs/s with the pattern planner.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from rich.console import Console

from bench.figures import Figure, print_figures
from bench.service import CONCURRENCY, CRANE, DURATION_S, PROMPT, measure

GOAL = 0.7


def main(console: Console) -> None:
    """Measure and print the store figures."""
    with tempfile.TemporaryDirectory(prefix="crane-bench-store-") as folder:
        database = Path(folder) / "runs.db"
        memory = measure(*CRANE, env={"RUN_STORE_URL": "memory://"})
        sqlite = measure(*CRANE, env={"RUN_STORE_URL": f"sqlite:///{database}"})
        full = measure(
            *CRANE,
            env={
                "RUN_STORE_URL": f"sqlite:///{Path(folder) / 'full.db'}",
                "RUN_STORE_SQLITE_SYNCHRONOUS": "full",
            },
        )
    ratio = sqlite.rps / memory.rps if memory.rps else 0.0
    ratio_full = full.rps / memory.rps if memory.rps else 0.0
    load = f"{CONCURRENCY} concurrent, {DURATION_S:g} s, closed loop, pattern planner"
    figures = [
        Figure("memory:// runs/s", memory.rps, "req/s", "", f"{load}, {PROMPT!r}"),
        Figure("sqlite (normal) runs/s", sqlite.rps, "req/s", "", "WAL, the default"),
        Figure("sqlite (full) runs/s", full.rps, "req/s", "", "WAL, an fsync per commit"),
        Figure("sqlite / memory", ratio, "ratio", f">= {GOAL}", "durability's cost"),
        Figure("sqlite full / memory", ratio_full, "ratio", "", "power-cut safe"),
        Figure("memory p50 latency", memory.percentile_ms(0.5), "ms"),
        Figure("sqlite p50 latency", sqlite.percentile_ms(0.5), "ms"),
        Figure("sqlite p99 latency", sqlite.percentile_ms(0.99), "ms"),
        Figure("sqlite mean latency", statistics.fmean(sqlite.latencies_ms or [0.0]), "ms"),
        Figure(
            "failed requests",
            memory.errors + sqlite.errors + full.errors,
            "count",
            "0",
            "all three",
        ),
    ]
    print_figures(console, "store", figures)


if __name__ == "__main__":
    main(Console())
