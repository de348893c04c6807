"""A `kill -9` of a command leaves nothing behind: its children die with it, ports free up.

The parent killed with SIGKILL cannot stop anything; its children go because they asked
the kernel for a signal when their parent dies (`plumbing.processes.spawn`).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from crane_bench.runtime.local_llm.programs import resolve_program

pytestmark = pytest.mark.integration

CASE = """\
- id: kill-calc
  prompt: "calculate 2 + 2"
  category: calculator
  expected:
    steps: [{tool: calculator, input: {expression: "2 + 2"}}]
"""


def start(args: list[str], cwd: Path) -> subprocess.Popen[bytes]:
    clean = ("OPENAI_", "LLM_", "PLANNER", "LOCAL_", "SERVICE_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(clean)}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    return subprocess.Popen(
        [sys.executable, "-m", "crane_bench.cli.app", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for_listener(parent: subprocess.Popen[bytes], marker: str) -> tuple[psutil.Process, int]:
    """The descendant whose command line holds `marker`, once it listens; and its port."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert parent.poll() is None, f"the command exited ({parent.returncode}) too early"
        for child in psutil.Process(parent.pid).children(recursive=True):
            try:
                if marker not in " ".join(child.cmdline()):
                    continue
                listening = [c for c in child.net_connections() if c.status == psutil.CONN_LISTEN]
            except psutil.Error:
                continue
            if listening:
                return child, listening[0].laddr.port
        time.sleep(0.2)
    pytest.fail(f"no child matching {marker!r} listened in time")


def kill_9_and_check(parent: subprocess.Popen[bytes], port: int) -> None:
    tree = psutil.Process(parent.pid).children(recursive=True)
    assert tree
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    _, alive = psutil.wait_procs(tree, timeout=30)
    left = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    for proc in left:  # do not leak them into the rest of the session
        proc.kill()
    assert left == []
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))  # the port is free again


def kill_9_once_listening(args: list[str], cwd: Path, marker: str) -> None:
    """Start the command, wait for its child `marker` to listen, kill -9 it, check."""
    parent = start(args, cwd)
    try:
        _, port = wait_for_listener(parent, marker)
        kill_9_and_check(parent, port)
    finally:
        if parent.poll() is None:
            parent.kill()


@pytest.mark.llm
def test_kill_9_of_eval_with_the_local_model_server(tmp_path: Path) -> None:
    (tmp_path / "case.yaml").write_text(CASE)
    args = ["eval", "--planners", "llm", "--cases", "case.yaml", "--repeats", "500", "--out", "run"]
    program, binary = resolve_program("auto", None)
    marker = str(binary) if program == "llama-server" else "llama_cpp.server"
    kill_9_once_listening(args, tmp_path, marker)


def test_kill_9_of_load_with_the_service_it_started(tmp_path: Path) -> None:
    args = ["load", "--scenario", "health", "--users", "1", "--run-time", "60s", "--out", "run"]
    kill_9_once_listening(args, tmp_path, "crane_bench.cli.app serve")
