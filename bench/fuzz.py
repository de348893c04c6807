"""Calculator fuzzing at scale: `python -m bench.fuzz [COUNT] [--seed N]` (`make fuzz`).

Feeds `evaluate` COUNT inputs (100,000 by default) drawn by hypothesis from the property
tests' strategies, in turn: expression trees with literals from the whole range the
length limit allows, text that looks like arithmetic, and any text. A refusal is a
`CalculatorError`; anything else raised is a crash. Prints the number of inputs, the
crashes (the first few, with their inputs), and the slowest input with its time.
Exit 1 when anything crashed. Times are wall-clock on whatever else the machine runs.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from rich.console import Console

from crane_bench.runtime.errors import CalculatorError
from crane_bench.runtime.tools import evaluate
from tests.runtime.tools.calculator_strategies import ARITHMETIC_ALPHABET, render, trees

DEFAULT_COUNT = 100_000
SHOWN_CRASHES = 5
SHOWN_CHARS = 120

inputs = st.one_of(
    trees.map(render),
    st.text(alphabet=ARITHMETIC_ALPHABET, max_size=120),
    st.text(max_size=600),
)


@dataclass
class FuzzReport:
    """What a fuzzing run found."""

    inputs: int = 0
    refused: int = 0
    crashes: list[tuple[str, str]] = field(default_factory=list)
    """(input, `ExceptionType: message`) of every input that raised something else."""
    slowest_s: float = 0.0
    slowest: str = ""


def fuzz(count: int, seed: int = 0) -> FuzzReport:
    """Evaluate `count` drawn inputs; never raises for what an input does."""
    report = FuzzReport()

    @hypothesis_seed(seed)
    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(inputs)
    def probe(text: str) -> None:
        report.inputs += 1
        began = time.perf_counter()
        try:
            evaluate(text)
        except CalculatorError:
            report.refused += 1
        except Exception as exc:  # noqa: BLE001 - counting these is the point
            report.crashes.append((text, f"{type(exc).__name__}: {exc}"))
        elapsed = time.perf_counter() - began
        if elapsed > report.slowest_s:
            report.slowest_s, report.slowest = elapsed, text

    probe()
    return report


def print_report(console: Console, report: FuzzReport, wall_s: float) -> None:
    """The counts, the first crashes and the slowest input."""
    console.print(
        f"calculator fuzz: {report.inputs:,} inputs in {wall_s:.1f} s, "
        f"{report.refused:,} refused (CalculatorError), "
        f"{len(report.crashes):,} other exception(s)"
    )
    for text, error in report.crashes[:SHOWN_CRASHES]:
        _plain(console, f"  crash: {error} on {text[:SHOWN_CHARS]!r}")
    _plain(
        console,
        f"slowest input: {report.slowest_s * 1000:.2f} ms on "
        f"{report.slowest[:SHOWN_CHARS]!r} ({len(report.slowest)} chars)",
    )


def _plain(console: Console, line: str) -> None:
    # Inputs hold brackets that rich would read as markup, and must not be wrapped.
    console.print(line, highlight=False, markup=False, soft_wrap=True)


def main(argv: list[str]) -> int:
    """Run the fuzzer; exit 1 when any input raised something other than CalculatorError."""
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__)
    parser.add_argument("count", nargs="?", type=int, default=DEFAULT_COUNT)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    # `ast.parse` warns on text like "1and 2" (which the calculator then refuses); one
    # line per such input would bury the report.
    warnings.simplefilter("ignore", SyntaxWarning)
    console = Console()
    began = time.perf_counter()
    report = fuzz(args.count, args.seed)
    print_report(console, report, time.perf_counter() - began)
    return 1 if report.crashes else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
