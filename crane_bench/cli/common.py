"""What every command shares: logging, one-line user errors, running coroutines."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Coroutine
from types import FrameType
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from runtime.errors import CraneRuntimeError, UserError

T = TypeVar("T")

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2

stderr = Console(stderr=True)


def setup_logging(verbose: bool = False) -> None:
    """Log to stderr, one line per record, so stdout stays machine-readable."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=stderr, show_path=False, show_time=False)],
        force=True,
    )
    # httpx logs every request at INFO; that is noise for a CLI user.
    for noisy in ("httpx", "httpx2", "openai"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def print_error(message: str) -> None:
    """Print `message` as one `error:` line on stderr."""
    stderr.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print one line to stderr and exit with `code`; for a user's mistake, no traceback."""
    print_error(message)
    raise typer.Exit(code)


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
    sigterm_as_interrupt()
    try:
        return asyncio.run(coro)
    except UserError as exc:
        fail(str(exc))
    except CraneRuntimeError as exc:
        fail(f"{type(exc).__name__}: {exc}", code=EXIT_GATE_FAILED)
    except KeyboardInterrupt:
        fail("interrupted", code=130)
