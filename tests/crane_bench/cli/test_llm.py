"""`crane-bench llm`: serve a model until Ctrl-C, list the catalog, one-line user errors."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import get_args, get_type_hints

import httpx
import psutil
import pytest
from typer.testing import CliRunner

from crane_bench.cli.llm import llm_app, serve
from crane_bench.runtime.local_llm.catalog import ModelKind

CLI = [sys.executable, "-m", "crane_bench.cli.app", "llm"]
# Settings from the environment must not point the command elsewhere.
ENV = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LOCAL_"))}


def _group_members(pgid: int) -> list[int]:
    members = []
    for proc in psutil.process_iter():
        try:
            if os.getpgid(proc.pid) == pgid:
                members.append(proc.pid)
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
    return members


def _read_until(proc: subprocess.Popen[str], pattern: str, timeout_s: float) -> re.Match[str]:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout_s
    seen = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if found := re.search(pattern, line):
            return found
    pytest.fail(f"no line matching {pattern!r}; stdout so far: {''.join(seen)!r}")


@pytest.mark.integration
@pytest.mark.llm
def test_serve_prints_the_url_and_stops_cleanly_on_ctrl_c() -> None:
    with subprocess.Popen(
        [*CLI, "serve", "--model", "smollm2-135m", "--port", "0", "--threads", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    ) as proc:
        try:
            url = _read_until(proc, r"at (http://127\.0\.0\.1:\d+/v1)", 120).group(1)
            server_pid = int(_read_until(proc, r"pid (\d+)", 10).group(1))
            _read_until(proc, re.escape(f"OPENAI_BASE_URL={url}"), 10)
            assert httpx.get(f"{url}/models", trust_env=False).status_code == 200

            proc.send_signal(signal.SIGINT)
            _, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()

    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert not psutil.pid_exists(server_pid)
    assert _group_members(server_pid) == []


@pytest.mark.integration
def test_serve_with_an_unknown_model_is_one_line_and_exit_2() -> None:
    result = subprocess.run(
        [*CLI, "serve", "--model", "no-such-model"],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert "unknown local model 'no-such-model'" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_serve_with_a_missing_file_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "absent.gguf"

    result = CliRunner().invoke(llm_app, ["serve", "--model", str(missing)], env=ENV)

    assert result.exit_code == 2
    assert "model file not found" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_serve_on_a_busy_port_exits_2() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        result = CliRunner().invoke(llm_app, ["serve", "--port", str(port)], env=ENV)

    assert result.exit_code == 2
    assert f"port {port}" in result.output


def test_models_lists_the_catalog() -> None:
    result = CliRunner().invoke(llm_app, ["models"], env=ENV)

    assert result.exit_code == 0
    assert "smollm2-135m" in result.output
    assert "gemma3-270m" in result.output
    assert "ready" in result.output


def test_the_kind_choices_are_the_catalogs() -> None:
    """`--kind` spells out `ModelKind` so the app need not import the catalog to build."""
    annotated = get_type_hints(serve, include_extras=True)["kind"]
    assert get_args(get_args(annotated)[0]) == get_args(ModelKind)
