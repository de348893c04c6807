"""`plan` and `run` take one planner spec with `--planner`, validated as `eval` does.

The model is a `FakeLlama` on a real loopback socket, reached through `OPENAI_BASE_URL`;
a planner of one's own is the real pattern planner loaded by `module:attr`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from crane_bench.cli.app import app
from tests.runtime.planners.fake_llama import FakeLlama
from tests.runtime.planners.fake_openai import plan_json

PROMPT = "calculate 2 + 2"
OWN = "mine=crane_bench.runtime.planners.pattern:PatternPlanner"


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_plan_takes_a_planner_of_ones_own(llama: FakeLlama) -> None:
    result = cli("plan", PROMPT, "--planner", OWN)
    assert result.exit_code == 0, result.output
    steps = json.loads(result.stdout)["plan"]["steps"]
    assert steps == [{"tool": "calculator", "input": {"expression": "2 + 2"}}]
    assert llama.requests == []  # the rules asked no model


def test_run_takes_a_spec_and_executes_its_plan(llama: FakeLlama) -> None:
    result = cli("run", PROMPT, "-p", OWN)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert (record["status"], record["output"]) == ("completed", 4)


def test_a_specs_parameters_override_the_settings(
    llama: FakeLlama, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_PLANNER_MODE", "decomposed")
    llama.repeat = plan_json(("calculator", {"expression": "2 + 2"}))

    result = cli("plan", PROMPT, "--planner", "llm[mode=oneshot]")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["plan"]["steps"][0]["tool"] == "calculator"
    [request] = llama.requests  # one call for the whole plan: the one-shot mode
    body = json.loads(request.content)
    assert "response_format" in body  # the whole plan's schema, not a clause's grammar
    assert "grammar" not in body


def test_without_parameters_the_settings_apply(
    llama: FakeLlama, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_PLANNER_MODE", "decomposed")
    llama.repeat = plan_json(("calculator", {"expression": "2 + 2"}))
    cli("plan", PROMPT, "--planner", "llm")
    assert "grammar" in json.loads(llama.requests[0].content)  # a decomposed clause call


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("llm[bogus=1]", "error: --planner: 'llm[bogus=1]': unknown parameter 'bogus'"),
        ("nope", "error: --planner: unknown planner 'nope'"),
        ("pattern,llm", "error: --planner: one planner, not a list of 2"),
        ("hybrid[strategy=sideways]", "error: --planner: 'hybrid[strategy=sideways]': strategy"),
        ("no_such_module:planner", "error: --planner"),
    ],
)
@pytest.mark.parametrize("command", ["plan", "run"])
def test_a_bad_spec_is_one_line_and_exit_2(
    llama: FakeLlama, command: str, spec: str, message: str
) -> None:
    result = cli(command, PROMPT, "--planner", spec)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(message)
    assert result.stdout == ""
    assert llama.requests == []


KEY = "sk-test-SECRET123abcdef"


@pytest.mark.parametrize(
    "spec", [f"llm[foo,api_key={KEY}]", f"llm[api_key={KEY}", f"x={KEY}", f"hybrid[model={KEY}]"]
)
@pytest.mark.parametrize("command", ["plan", "run"])
def test_a_spec_holding_a_key_is_refused_without_showing_it(
    llama: FakeLlama, command: str, spec: str
) -> None:
    result = cli(command, PROMPT, "--planner", spec)

    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: --planner: a planner spec holds what looks like a credential; API keys come "
        "only from the environment or .env (OPENAI_API_KEY)"
    ]
    assert "SECRET123" not in result.output
    assert llama.requests == []


@pytest.mark.parametrize("spec", [f"llm[foo,api_key={KEY}]", f"llm[api_key={KEY}"])
@pytest.mark.parametrize("where", ["SERVICE_PLANNERS", "--planner"])
def test_serve_refuses_a_spec_holding_a_key_without_showing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, spec: str
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    args = ["serve", "--port", "0"]
    if where == "SERVICE_PLANNERS":
        monkeypatch.setenv("SERVICE_PLANNERS", spec)
    else:
        args += ["--planner", spec]

    result = cli(*args)

    assert result.exit_code == 2
    assert "looks like a credential" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "SECRET123" not in result.output


@pytest.mark.parametrize("command", ["plan", "run"])
def test_a_local_model_that_is_no_gguf_file_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the checkout: the local model is used
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\n")

    result = cli(command, PROMPT, "--planner", f"llm[model={passwd}]")

    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: LOCAL_MODEL: not a GGUF model file: {passwd}"
    ]
    assert result.stdout == ""
