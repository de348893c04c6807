"""`transcripts.jsonl`: one trial's transcript per line, beside `results.jsonl`.

A trial's transcript line is written and flushed before its row in `results.jsonl`, so
a run killed between the two leaves a transcript whose trial has no row. `--resume`
reads the rows first (`recover_results`), then `reconcile_transcripts` keeps exactly
one line per trial that has a row (the first), drops the others and a torn last line,
and rewrites the file atomically when it changed; the trials without a row run again
and write their transcript anew. So after any kill and resume the two files hold the
same trials, each once.

Every line is masked a last time for the run's secrets before it is written: a key
must not reach the file even if some event let it through.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from pydantic import ValidationError

from evals.errors import RunLogError
from evals.transcripts import Transcript
from plumbing.errors import RunFileError
from plumbing.run_files import JsonlReader, write_atomically
from runtime.transcript import mask

TrialKey = tuple[str, str, int]


class TranscriptWriter:
    """Appends transcripts to `transcripts.jsonl`, one flushed line each.

    Args:
        path: The file.
        secrets: Strings masked in every line (the API key).
    """

    def __init__(self, path: Path, *, secrets: Sequence[str] = ()) -> None:
        self.secrets = tuple(secret for secret in secrets if secret)
        self._file = path.open("a", encoding="utf-8")

    def append(self, transcript: Transcript) -> None:
        """Write one transcript and flush it."""
        line = transcript.model_dump_json()
        self._file.write(mask(line, self.secrets) + "\n")
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


def _key(data: object) -> TrialKey | None:
    if not isinstance(data, dict):
        return None
    try:
        return (str(data["planner"]), str(data["case_id"]), int(data["repeat"]))
    except (KeyError, TypeError, ValueError):
        return None


def reconcile_transcripts(path: Path, done: set[TrialKey]) -> int:
    """Keep one line per trial in `done` (the rows of `results.jsonl`); drop the rest.

    Returns:
        How many lines were dropped (a torn last line included).

    Raises:
        RunLogError: A line other than the last is not JSON.
    """
    if not path.exists():
        return 0
    reader = JsonlReader(path)
    kept: list[bytes] = []
    seen: set[TrialKey] = set()
    dropped = 0
    raw = path.read_bytes()
    try:
        for line in reader:
            key = _key(line.data)
            if key is None or key not in done or key in seen:
                dropped += 1
                continue
            seen.add(key)
            end = raw.find(b"\n", line.offset)
            kept.append(raw[line.offset : end if end != -1 else len(raw)] + b"\n")
    except RunFileError as exc:
        raise RunLogError(str(exc)) from None
    dropped += reader.torn is not None
    if dropped or reader.ends_without_newline:
        write_atomically(path, b"".join(kept))
    return dropped


def iter_transcripts(path: Path, wanted: set[TrialKey] | None = None) -> Iterator[Transcript]:
    """The transcripts in `path` (only the `wanted` trials, if given), in file order.

    A torn last line is skipped; lines of trials not wanted are not validated.

    Raises:
        RunLogError: A line is not JSON (and not the last), or not a transcript of this
            version.
    """
    try:
        for line in JsonlReader(path):
            if wanted is not None and _key(line.data) not in wanted:
                continue
            try:
                yield Transcript.model_validate(line.data)
            except ValidationError as exc:
                problem = " ".join(str(exc).split())[:200]
                raise RunLogError(
                    f"{path}: line {line.number}: not a transcript: {problem}"
                ) from None
    except RunFileError as exc:
        raise RunLogError(str(exc)) from None


def find_transcripts(path: Path, case_id: str, planner: str | None = None) -> list[Transcript]:
    """The transcripts of `case_id` in `path` (of one planner label, if given).

    Only the lines of that case are validated, so a look-up in a big run stays quick.

    Raises:
        RunLogError: The file is not readable, or a matching line is not a transcript.
    """
    wanted: set[TrialKey] = set()
    try:
        for line in JsonlReader(path):
            key = _key(line.data)
            if key is not None and key[1] == case_id and planner in (None, key[0]):
                wanted.add(key)
    except RunFileError as exc:
        raise RunLogError(str(exc)) from None
    return list(iter_transcripts(path, wanted)) if wanted else []
