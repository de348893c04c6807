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

from pydantic import ValidationError

from crane_bench.evals.errors import RunLogError
from crane_bench.evals.results import TrialResult
from crane_bench.evals.transcripts import Transcript, rescored_transcript
from crane_bench.plumbing.errors import RunFileError
from crane_bench.plumbing.run_files import JsonlAppender, JsonlReader, write_atomically
from crane_bench.runtime.masking import mask

TrialKey = tuple[str, str, int]


class TranscriptWriter(JsonlAppender):
    """Appends transcripts to `transcripts.jsonl`, one flushed line each.

    Args:
        path: The file.
        secrets: Strings masked in every line (the API key).
    """

    def __init__(self, path: Path, *, secrets: Sequence[str] = ()) -> None:
        super().__init__(path)
        self.secrets = tuple(secret for secret in secrets if secret)

    def append(self, transcript: Transcript) -> None:
        """Write one transcript and flush it."""
        self.write_line(mask(transcript.model_dump_json(), self.secrets))


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


def _validated(data: object, path: Path, number: int) -> Transcript:
    try:
        return Transcript.model_validate(data)
    except ValidationError as exc:
        problem = " ".join(str(exc).split())[:200]
        raise RunLogError(f"{path}: line {number}: not a transcript: {problem}") from None


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
            yield _validated(line.data, path, line.number)
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


def rescore_transcripts(path: Path, rows: dict[TrialKey, TrialResult], backup: Path) -> int:
    """Give the transcripts of the re-scored `rows` their new score event, in place.

    Other lines are kept byte for byte. The file as the run wrote it is kept in `backup`
    (the first re-scoring makes it; later ones leave it). Nothing is written when no
    transcript matches a row.

    Returns:
        How many transcripts were rewritten.

    Raises:
        RunLogError: A line other than the last is not JSON, or a matching line is not a
            transcript of this version.
    """
    if not path.exists() or not rows:
        return 0
    raw = path.read_bytes()
    out: list[bytes] = []
    rewritten = 0
    try:
        for line in JsonlReader(path):
            end = raw.find(b"\n", line.offset)
            text = raw[line.offset : end if end != -1 else len(raw)] + b"\n"
            row = rows.get(key) if (key := _key(line.data)) is not None else None
            if row is not None:
                transcript = _validated(line.data, path, line.number)
                text = (rescored_transcript(transcript, row).model_dump_json() + "\n").encode()
                rewritten += 1
            out.append(text)
    except RunFileError as exc:
        raise RunLogError(str(exc)) from None
    if rewritten:
        if not backup.exists():
            write_atomically(backup, raw)
        write_atomically(path, b"".join(out))
    return rewritten
