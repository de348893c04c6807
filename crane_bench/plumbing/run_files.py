"""Run directories as files: their names, one JSONL reader, one atomic writer, one stamp.

`evals` writes eval runs, `load` writes load runs, and `reports` reads both; all three go
through this module, so a file is named, written and read one way.

The JSONL policy: blank lines are skipped; a last line that is not JSON is *torn* (the
process died while writing it): it is skipped and its number reported, never an error;
any other line that is not JSON is an error (`RunFileError`).
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

from crane_bench.plumbing.errors import RunFileError

SPEC_FILE: Final = "spec.json"
RESULTS_FILE: Final = "results.jsonl"
TRANSCRIPTS_FILE: Final = "transcripts.jsonl"
SUMMARY_FILE: Final = "summary.json"
LOAD_SUMMARY_FILE: Final = "load_summary.json"
DEFAULT_RUNS_DIR: Final = Path("runs")


def run_stamp(now: datetime | None = None) -> str:
    """`YYYYmmddTHHMMSSZ-<6 hex>`: a run's name, sortable by time and unique enough."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def write_atomically(path: Path, content: str | bytes) -> None:
    """Write `content` to `path` through a temp file and `os.replace`: all or nothing.

    The file gets the mode a plain `open()` would give it (0o666 less the umask), the
    same as a file the harness appends to.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, temp = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


_TEMP_FLAGS: Final = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
_TEMP_ATTEMPTS: Final = 100
_TEMP_TOKEN_BYTES: Final = 6
_TEMP_NAME: Final = re.compile(rf"^\..+\.[0-9a-f]{{{2 * _TEMP_TOKEN_BYTES}}}\.tmp$")
"""`.<target name>.<random hex>.tmp`, the names `_create_temp` gives."""


def _create_temp(path: Path) -> tuple[int, Path]:
    """Create a new, empty temp file beside `path`; return its descriptor and path.

    Not `tempfile.mkstemp`: it creates the file 0o600, and that mode would stay with the
    file once it is renamed into place. Here the kernel applies the umask to 0o666 at
    creation, exactly as for `open()`, so nothing reads or changes the process-wide umask
    (which would race with other threads), and no chmod runs after the file is visible.
    The name is random and the file is created with O_EXCL, as `mkstemp` does.
    """
    for _ in range(_TEMP_ATTEMPTS):
        temp = path.with_name(f".{path.name}.{secrets.token_hex(_TEMP_TOKEN_BYTES)}.tmp")
        try:
            return os.open(temp, _TEMP_FLAGS, 0o666), temp
        except FileExistsError:
            continue
    raise FileExistsError(f"no unused temp file name beside {path}")


def remove_stale_temps(directory: Path) -> list[Path]:
    """Remove the temp files `write_atomically` left in `directory`; return them.

    A process killed while writing (SIGKILL, a power cut) cannot remove its temp file,
    and nothing else names it. Call this only where no other process is writing into
    `directory` at the same time: its temp files would look the same.
    """
    removed = []
    for path in sorted(directory.iterdir()):
        if _TEMP_NAME.match(path.name) and path.is_file():
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


@dataclass(frozen=True)
class JsonlLine:
    """One parsed line of a JSONL file."""

    number: int
    """1-based line number."""
    offset: int
    """Byte offset of the line's start."""
    data: Any


class JsonlReader:
    """Iterates the JSON lines of `path` under the torn-last-line policy.

    After the iteration, `torn` holds the torn last line (number, byte offset) if any,
    and `ends_without_newline` whether the last complete line lacks its newline.

    Args:
        path: The JSONL file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.torn: tuple[int, int] | None = None
        self.ends_without_newline = False

    def __iter__(self) -> Iterator[JsonlLine]:
        """Yield each JSON line; raise `RunFileError` on a bad line that is not the last."""
        try:
            with self.path.open("rb") as handle:
                yield from self._lines(handle.readlines())
        except OSError as exc:
            raise RunFileError(f"{self.path}: cannot read: {exc.strerror or exc}") from None

    def _lines(self, lines: list[bytes]) -> Iterator[JsonlLine]:
        last = max((n for n, raw in enumerate(lines, start=1) if raw.strip()), default=0)
        offset = 0
        for number, raw in enumerate(lines, start=1):
            start, offset = offset, offset + len(raw)
            if not raw.strip():
                continue
            try:
                data = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                if number != last:
                    raise RunFileError(
                        f"{self.path}: line {number}: not JSON (and not the last line)"
                    ) from None
                self.torn = (number, start)  # a run killed mid-write: only the last line
                return
            self.ends_without_newline = not raw.endswith(b"\n")
            yield JsonlLine(number, start, data)


def cut_torn_line(reader: JsonlReader) -> None:
    """After reading, make the file appendable: cut a torn last line, end with a newline."""
    if reader.torn is not None:
        with reader.path.open("r+b") as handle:
            handle.truncate(reader.torn[1])
    elif reader.ends_without_newline:
        with reader.path.open("ab") as handle:
            handle.write(b"\n")  # a complete row whose newline was lost


class JsonlAppender:
    """Appends lines to a JSONL file, each flushed at once, so a killed run keeps it."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("a", encoding="utf-8")

    def write_line(self, line: str) -> None:
        """Write one line (without its newline) and flush it."""
        self._file.write(line + "\n")
        self._file.flush()

    def close(self) -> None:
        """Close the file."""
        self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
