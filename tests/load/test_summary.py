"""Run directory names and reading summaries (baselines are user input)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crane_bench.load import LoadConfigError, ResultError, new_run_dir, read_result, read_summary


def test_run_dirs_are_named_by_utc_time_and_hex() -> None:
    path = new_run_dir(Path("runs"), datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert path.parent == Path("runs")
    assert re.fullmatch(r"load-20250102T030405Z-[0-9a-f]{6}", path.name)


def test_a_bad_baseline_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(LoadConfigError, match=r"missing\.json"):
        read_summary(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1}')
    with pytest.raises(LoadConfigError, match="not a LoadSummary"):
        read_summary(bad)


def test_a_missing_result_is_a_result_error(tmp_path: Path) -> None:
    with pytest.raises(ResultError, match=r"locust_result\.json"):
        read_result(tmp_path / "locust_result.json")
