"""What every command shares: logging, one-line user errors, running coroutines.

rich is imported when something is printed or logged, not when a command starts: a
pattern `plan` that succeeds prints its JSON with typer and logs nothing.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import signal
import warnings
from collections.abc import Coroutine
from types import FrameType
from typing import TYPE_CHECKING, Any, Final, NoReturn, TypeVar

import typer
from pydantic import ValidationError

from crane_bench.plumbing.validation import first_problem as validation_problem
from crane_bench.runtime.errors import CraneRuntimeError, UserError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.logging import RichHandler

    from crane_bench.runtime.settings import PlannerName, Settings

T = TypeVar("T")

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2


@functools.cache
def stderr_console() -> Console:
    """The rich console on stderr that every command prints its messages and tables to."""
    from rich.console import Console  # noqa: PLC0415 - imported when something is printed

    return Console(stderr=True)


def _escape(text: str) -> str:
    from rich.markup import escape  # noqa: PLC0415

    return escape(text)


class RichOnFirstRecord(logging.Handler):
    """Hands every record to a rich handler on stderr, made (and rich imported) at the first."""

    def __init__(self) -> None:
        super().__init__()
        self._rich: RichHandler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        """Format and print `record` as rich's `RichHandler` does."""
        if self._rich is None:
            from rich.logging import RichHandler  # noqa: PLC0415

            self._rich = RichHandler(console=stderr_console(), show_path=False, show_time=False)
            self._rich.setFormatter(self.formatter)
        self._rich.emit(record)


def setup_logging(verbose: bool = False) -> None:
    """Log to stderr, one line per record, so stdout stays machine-readable."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichOnFirstRecord()],
        force=True,
    )
    # httpx logs every request at INFO; that is noise for a CLI user.
    for noisy in ("httpx", "httpx2", "openai"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def print_error(message: str) -> None:
    """Print `message` as one `error:` line on stderr."""
    stderr_console().print(
        f"[bold red]error:[/] {_escape(message)}", highlight=False, soft_wrap=True
    )


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print one line to stderr and exit with `code`; for a user's mistake, no traceback."""
    print_error(message)
    raise typer.Exit(code)


EXTRAS: Final[dict[str, tuple[str, ...]]] = {
    "eval": ("pandas", "scipy", "statsmodels"),
    "load": ("locust",),
    "reports": ("pandas", "plotly", "jinja2"),
}
"""What each optional part of crane-bench needs beyond the base (pyproject's extras)."""


def missing_extra(extra: str) -> str | None:
    """One line naming the extra to install when its packages are missing, else None."""
    missing = [name for name in EXTRAS[extra] if importlib.util.find_spec(name) is None]
    if not missing:
        return None
    return (
        f"this needs the [{extra}] extra ({', '.join(missing)} not installed): "
        f"pip install 'crane-bench[{extra}]'"
    )


def require_extra(extra: str) -> None:
    """End the command with one line and exit 2 when the extra is not installed."""
    if (problem := missing_extra(extra)) is not None:
        fail(problem)


def first_problem(exc: ValidationError) -> str:
    """One line naming where and what is wrong; never the input value, which may be secret."""
    return f"{exc.title}: {validation_problem(exc, top=exc.title)}"


def load_settings(planner: PlannerName | None = None) -> Settings:
    """The settings from env and `.env`, with the planner given on the command line if any.

    A setting that does not validate ends the command with one line and exit 2; a
    deprecated setting name is a warning line on stderr (Python hides DeprecationWarnings
    from end users by default).
    """
    # pydantic-settings is imported by the commands that read settings, not by `--help`.
    from crane_bench.runtime.settings import Settings  # noqa: PLC0415

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DeprecationWarning)
        try:
            settings = Settings() if planner is None else Settings(planner=planner)
        except ValidationError as exc:
            fail(first_problem(exc))
    for warning in caught:
        stderr_console().print(
            f"[yellow]warning:[/] {_escape(str(warning.message))}", soft_wrap=True
        )
    return settings


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def sigterm_as_interrupt() -> None:
    """Make SIGTERM (a supervisor, `kill`) take the same clean path as Ctrl-C.

    Without it the process dies at once and a local model server it started would
    outlive it.
    """
    signal.signal(signal.SIGTERM, _interrupt)


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine, turning user errors into one line and exit 2."""
    import asyncio  # noqa: PLC0415 - `--help` and the sync commands do without it

    sigterm_as_interrupt()
    try:
        return asyncio.run(coro)
    except UserError as exc:
        fail(str(exc))
    except CraneRuntimeError as exc:
        fail(f"{type(exc).__name__}: {exc}", code=EXIT_GATE_FAILED)
    except KeyboardInterrupt:
        fail("interrupted", code=130)
