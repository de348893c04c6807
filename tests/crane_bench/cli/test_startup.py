"""A pattern `plan`, `run` or `--help` imports none of the heavy libraries.

Each subcommand imports its own heavy dependencies when it runs, so the CLI starts fast.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# openai too: its types alone are most of what the CLI would import for a pattern plan.
HEAVY = ("statsmodels", "scipy", "pandas", "plotly", "locust", "gevent", "llama_cpp", "openai")

# Runs the CLI in-process, then prints which heavy top-level packages got imported.
PROBE = """
import json, sys
from crane_bench.cli.app import app
try:
    app(sys.argv[1:])
except SystemExit:
    pass
heavy = {heavy!r}
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & set(heavy))))
"""


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["plan", "calculate 2 + 2", "--planner", "pattern"],
        ["run", "calculate 2 + 2", "--planner", "pattern"],
        ["eval", "--help"],
        ["load", "--help"],
    ],
)
def test_the_cli_imports_no_heavy_library(args: list[str]) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert imported == []
