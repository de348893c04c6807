"""A bad local model setting is one line and exit 2 from every command that opens a model.

`LOCAL_MODEL`, `LOCAL_SERVER` and `LOCAL_SERVER_BIN` are checked before anything starts,
so no model server runs here. Each command runs as a user runs it, in a subprocess, with
no `OPENAI_*` endpoint (so the local model is used) and no `.env` of the checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

COMMANDS = {
    "plan": ["plan", "calculate 2 + 2", "--planner", "llm"],
    "run": ["run", "calculate 2 + 2", "--planner", "llm"],
    "eval": ["eval", "--planners", "llm"],
    # PLANNER=llm below: the setting, not the option, as a container sets it.
    "serve": ["serve", "--port", "0"],
}

# Settings of the test's own environment that would change what is opened.
OURS = ("OPENAI_", "LOCAL_", "LLM_", "PLANNER", "SERVICE_", "RUN_TIMEOUT_S")


def base_env() -> dict[str, str]:
    """The environment without our settings, with this checkout first on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p and Path(p).exists())
    env["PLANNER"] = "llm"
    return env


def crane_bench(
    args: list[str], env: dict[str, str], cwd: Path, python: str = sys.executable
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-m", "crane_bench.cli.app", *args],
        cwd=cwd,  # no .env of the checkout
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_one_line(done: subprocess.CompletedProcess[str], *names: str) -> None:
    """Exit 2, no traceback, and one `error:` line on stderr that names `names`."""
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: "), lines[0]
    for name in names:
        assert name in lines[0]


@pytest.fixture(scope="module")
def no_llama_server(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str]]:
    """An interpreter with no llama-server beside it or on PATH, and its environment.

    llama-server is looked for beside the interpreter, where `make install` puts it; a
    link to the interpreter in an empty directory finds none there. Checked first, so
    that this module never starts a real model server.
    """
    root = tmp_path_factory.mktemp("no-llama-server")
    (root / "bin").mkdir()
    python = root / "bin" / "python"
    python.symlink_to(sys.executable)
    env = {**base_env(), "PATH": str(root / "nowhere")}
    probe = (
        "from crane_bench.runtime.local_llm.programs import find_llama_server; "
        "print(find_llama_server())"
    )
    found = subprocess.run(
        [str(python), "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    if found.stdout.strip() != "None":
        pytest.skip(f"llama-server is still found: {found.stdout.strip()}")
    return str(python), env


@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_unknown_local_model_is_one_line(command: str, tmp_path: Path) -> None:
    done = crane_bench(COMMANDS[command], {**base_env(), "LOCAL_MODEL": "nope"}, tmp_path)
    assert_one_line(done, "LOCAL_MODEL", "'nope'")


def a_model(tmp_path: Path) -> str:
    """A model file that resolves (GGUF's magic, nothing more), so the program is refused."""
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    return str(model)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_missing_llama_server_bin_is_one_line(command: str, tmp_path: Path) -> None:
    env = {
        **base_env(),
        "LOCAL_MODEL": a_model(tmp_path),
        "LOCAL_SERVER_BIN": str(tmp_path / "nonexistent"),
    }
    done = crane_bench(COMMANDS[command], env, tmp_path)
    assert_one_line(done, "LOCAL_SERVER_BIN=")


@pytest.mark.parametrize("command", list(COMMANDS))
def test_llama_server_asked_for_and_not_built_is_one_line(
    command: str, tmp_path: Path, no_llama_server: tuple[str, dict[str, str]]
) -> None:
    python, env = no_llama_server
    env = {**env, "LOCAL_MODEL": a_model(tmp_path), "LOCAL_SERVER": "llama-server"}
    done = crane_bench(COMMANDS[command], env, tmp_path, python)
    assert_one_line(done, "LOCAL_SERVER=llama-server")


def test_serve_with_workers_refuses_before_any_worker_starts(tmp_path: Path) -> None:
    # Each worker would build its own app and fail in its start-up: a traceback per
    # worker, and the parent exited 0.
    done = crane_bench(
        [*COMMANDS["serve"], "--workers", "2"], {**base_env(), "LOCAL_MODEL": "nope"}, tmp_path
    )
    assert_one_line(done, "LOCAL_MODEL", "'nope'")
