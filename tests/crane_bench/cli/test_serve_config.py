"""`crane-bench serve` refuses settings it cannot honour: one line, exit 2, nothing served."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def test_a_run_timeout_shorter_than_the_model_calls_is_refused(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "RUN_TIMEOUT_S": "5",
        "LLM_TIMEOUT_S": "20",
        "LLM_MAX_RETRIES": "2",
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "crane_bench.cli.app",
            "serve",
            "--planner",
            "hybrid",
            "--port",
            "0",
        ],
        cwd=tmp_path,  # no .env of the checkout
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: RUN_TIMEOUT_S=5 is too short for the LLM planners")


ROOT = Path(__file__).resolve().parents[3]
NO_PSYCOPG = (
    "import sys; sys.modules['psycopg'] = None; sys.argv = ['crane-bench', *sys.argv[1:]]; "
    "from crane_bench.cli.app import main; main()"
)


@pytest.mark.parametrize(
    ("store_url", "options", "expected"),
    [
        ("mysql://admin:s3cret@db/runs", [], "RUN_STORE_URL must start with sqlite:///"),
        ("sqlite://runs.db", [], "a SQLite URL is sqlite:///RELATIVE/PATH"),
        ("memory://", ["--workers", "2"], "RUN_STORE_URL=memory:// keeps runs in one process"),
        ("sqlite:///a-file/runs.db", [], "cannot create a-file/runs.db: "),
        ("postgresql://admin:s3cret@db/runs", ["no-psycopg"], "psycopg is not installed"),
    ],
)
def test_a_run_store_it_cannot_use_is_one_line(
    tmp_path: Path, store_url: str, options: list[str], expected: str
) -> None:
    env = {**os.environ, "RUN_STORE_URL": store_url, "PYTHONPATH": str(ROOT)}
    (tmp_path / "a-file").touch()  # a file where a folder would have to be
    start = [sys.executable, "-m", "crane_bench.cli.app"]
    if options == ["no-psycopg"]:
        start, options = [sys.executable, "-c", NO_PSYCOPG], []
    done = subprocess.run(
        [*start, "serve", "--port", "0", *options],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert expected in lines[0]
    assert "s3cret" not in done.stderr
    assert not (tmp_path / ".crane").exists()  # nothing written
