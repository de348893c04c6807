"""Every command takes its defaults from the settings (env and `.env`); options override."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from crane_bench.cli.app import app
from crane_bench.cli.serve import resolve_serve_settings
from crane_bench.plumbing.processes import free_port

# Settings of the test's own environment must not override the `.env` under test.
OURS = ("PLANNER", "HYBRID_STRATEGY", "OPENAI_", "LLM_", "SERVICE_", "STEP_", "MAX_RETRIES")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith(OURS):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_env(where: Path, **values: object) -> None:
    (where / ".env").write_text("".join(f"{k}={v}\n" for k, v in values.items()))


def hybrid_without_a_model() -> dict[str, object]:
    """The hybrid planner, rules first, with an endpoint nobody listens on (never called)."""
    return {
        "PLANNER": "hybrid",
        "HYBRID_STRATEGY": "pattern-first",
        "OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
        "OPENAI_API_KEY": "sk-test-not-a-key",
        "LLM_MAX_RETRIES": 0,
    }


def test_serve_takes_host_port_workers_and_planner_from_dotenv(workdir: Path) -> None:
    write_env(
        workdir, SERVICE_PORT=9123, SERVICE_HOST="127.0.0.2", SERVICE_WORKERS=2, PLANNER="llm"
    )
    settings, service = resolve_serve_settings()
    assert (service.host, service.port, service.workers) == ("127.0.0.2", 9123, 2)
    assert settings.planner == "llm"


def test_serve_options_override_the_settings(workdir: Path) -> None:
    write_env(workdir, SERVICE_PORT=9123, PLANNER="llm")
    settings, service = resolve_serve_settings(port=9000, planner="pattern")
    assert (service.port, settings.planner) == (9000, "pattern")


@pytest.mark.integration
def test_serve_listens_where_dotenv_says_with_its_planner(workdir: Path) -> None:
    port = free_port()
    write_env(workdir, SERVICE_PORT=port, **hybrid_without_a_model())
    command = [sys.executable, "-m", "crane_bench.cli.app", "serve"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    with subprocess.Popen(command, env=env, stderr=subprocess.PIPE) as server:
        try:
            health = _wait_for_health(f"http://127.0.0.1:{port}", server)
        finally:
            server.send_signal(signal.SIGTERM)
            server.communicate(timeout=30)
    assert health["planner"] == "hybrid"
    assert server.returncode == 0, "a stop asked for by SIGTERM is a clean exit"


def _wait_for_health(url: str, server: subprocess.Popen[bytes]) -> dict[str, object]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "the service exited"
        try:
            answer = httpx.get(f"{url}/api/v1/health", timeout=5)
        except httpx.TransportError:
            time.sleep(0.1)
            continue
        body: dict[str, object] = answer.json()
        return body
    pytest.fail(f"nothing answered on {url}")


def test_plan_uses_the_planner_setting(workdir: Path) -> None:
    write_env(workdir, **hybrid_without_a_model())
    result = CliRunner().invoke(app, ["plan", "calculate 2 + 2"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["meta"]["planner"] == "hybrid"


def test_plan_option_overrides_the_planner_setting(workdir: Path) -> None:
    write_env(workdir, **hybrid_without_a_model())
    result = CliRunner().invoke(app, ["plan", "calculate 2 + 2", "--planner", "pattern"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["meta"]["planner"] == "pattern"


def test_run_uses_the_planner_setting(workdir: Path) -> None:
    write_env(workdir, **hybrid_without_a_model())
    result = CliRunner().invoke(app, ["run", "calculate 2 + 2"])
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    assert (record["planner"]["planner"], record["output"]) == ("hybrid", 4)


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "calculate 2 + 2"],
        ["run", "calculate 2 + 2"],
        ["serve"],
        ["eval", "--planners", "pattern", "--out", "run"],
        ["load", "--out", "run"],
        ["llm", "serve"],
    ],
)
def test_a_bad_setting_in_dotenv_is_one_line_and_exit_2(workdir: Path, args: list[str]) -> None:
    write_env(workdir, PLANNER="nonsense")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "planner" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (workdir / "run").exists()


def test_a_deprecated_name_in_dotenv_is_a_warning_line(workdir: Path) -> None:
    write_env(workdir, MAX_RETRIES=4)
    result = CliRunner().invoke(app, ["run", "calculate 2 + 2"])
    assert result.exit_code == 0, result.stderr
    assert "warning:" in result.stderr
    assert "STEP_MAX_RETRIES" in result.stderr
