"""Run-directory files: the one JSONL policy, the atomic writer, the run stamp."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crane_bench.plumbing.errors import RunFileError
from crane_bench.plumbing.run_files import (
    JsonlAppender,
    JsonlReader,
    cut_torn_line,
    run_stamp,
    write_atomically,
)


def test_a_torn_last_line_is_skipped_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2}\n{"a": ')
    reader = JsonlReader(path)
    assert [(line.number, line.data) for line in reader] == [(1, {"a": 1}), (3, {"a": 2})]
    assert reader.torn == (4, len('{"a": 1}\n\n{"a": 2}\n'))


def test_a_bad_line_before_the_last_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1}\nnot json\n{"a": 2}\n')
    with pytest.raises(RunFileError, match="line 2: not JSON"):
        list(JsonlReader(path))


def test_trailing_blank_lines_do_not_hide_a_torn_line(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1}\n{"a"\n\n')
    reader = JsonlReader(path)
    assert len(list(reader)) == 1
    assert reader.torn is not None


def test_cutting_the_torn_line_leaves_an_appendable_file(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1}\n{"a": 2')
    reader = JsonlReader(path)
    list(reader)
    cut_torn_line(reader)
    assert path.read_text() == '{"a": 1}\n'
    path.write_text('{"a": 1}')
    reader = JsonlReader(path)
    list(reader)
    cut_torn_line(reader)
    assert path.read_text() == '{"a": 1}\n'


def test_an_unreadable_file_is_a_run_file_error(tmp_path: Path) -> None:
    with pytest.raises(RunFileError, match="cannot read"):
        list(JsonlReader(tmp_path / "missing.jsonl"))


def test_the_atomic_writer_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    write_atomically(path, "{}\n")
    write_atomically(path, b"[]\n")
    assert path.read_text() == "[]\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


@pytest.fixture(params=[0o022, 0o077], ids=["umask-022", "umask-077"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """Run the test under this umask; the process's own is restored after."""
    mask: int = request.param
    before = os.umask(mask)
    try:
        yield mask
    finally:
        os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_atomically_written_file_gets_the_mode_of_an_appended_one(
    tmp_path: Path, umask: int
) -> None:
    written = tmp_path / "summary.json"
    write_atomically(written, "{}\n")
    appended = tmp_path / "results.jsonl"
    with JsonlAppender(appended) as rows:
        rows.write_line("{}")

    assert mode(written) == mode(appended) == 0o666 & ~umask


def test_a_rewritten_file_takes_the_umask_not_its_old_mode(tmp_path: Path, umask: int) -> None:
    path = tmp_path / "report.html"
    path.write_text("old")
    path.chmod(0o640)

    write_atomically(path, "new")

    assert path.read_text() == "new"
    assert mode(path) == 0o666 & ~umask


def test_the_run_stamp_sorts_by_time() -> None:
    stamp = run_stamp(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert re.fullmatch(r"20250102T030405Z-[0-9a-f]{6}", stamp)
