"""Run every benchmark: `python -m bench [NAME...]` (names: see BENCHMARKS)."""

from __future__ import annotations

import importlib
import sys

from rich.console import Console

# Each module has `main(console) -> None`; listed here so the order is stable.
BENCHMARKS = [
    "startup",
    "runtime",
    "service",
    "store",
    "evals",
    "transcripts",
    "load",
    "reports",
    "llm",
    "model_floor",
    "latency_isolation",
    "load_quality",
]


def main(argv: list[str]) -> int:
    """Run the named benchmarks (all by default); a failing one is reported, not fatal."""
    console = Console()
    chosen = argv or BENCHMARKS
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        console.print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    broken = []
    for name in chosen:
        module = importlib.import_module(f"bench.{name}")
        try:
            module.main(console)
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the rest
            console.print(f"[red]benchmark {name} failed: {type(exc).__name__}: {exc}[/]")
            broken.append(name)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
