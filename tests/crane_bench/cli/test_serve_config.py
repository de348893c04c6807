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
