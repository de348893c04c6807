"""`transcripts.jsonl`: one line per trial beside `results.jsonl`, through kills and resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from crane_bench.cli.app import app
from crane_bench.evals.cases import load_cases
from crane_bench.evals.run_config import EvalConfig
from crane_bench.evals.run_dir import RunDir
from crane_bench.evals.transcript_store import iter_transcripts, reconcile_transcripts
from crane_bench.reports import build_report
from tests.evals.eval_helpers import (
    CASES,
    isolated_workdir,
    offline_settings,
    pattern_opener,
    read_rows,
    run_new,
    write_cases,
)
from tests.runtime.planners.fake_llama import FakeLlama, completion_json, is_chat
from tests.runtime.planners.fake_openai import FAKE_KEY, plan_json

WARMUP_PARTS = (b"water the plants", b"17 * 23", b"list my todos")
"""What the requests of the warm-up prompt (`evals.warmup.PROMPT`) carry."""

EVALS = Path(__file__).resolve().parents[2] / "evals"


def keys(rows: list[dict[str, object]]) -> list[tuple[object, object, object]]:
    return [(r["planner"], r["case_id"], r["repeat"]) for r in rows]


def transcript_keys(run: RunDir) -> list[tuple[object, object, object]]:
    return keys(read_rows(run.transcripts_file))


def config(cases: Path, **values: object) -> EvalConfig:
    return EvalConfig.model_validate(
        {"planners": ("pattern", "llm"), "case_paths": (cases,), "use_cache": False, **values}
    )


async def test_a_run_writes_one_transcript_per_row(tmp_path: Path) -> None:
    cases = write_cases(tmp_path / "cases.yaml")

    run, summary = await run_new(
        config(cases, repeats=2),
        offline_settings(),
        tmp_path / "run",
        open_planner_for=pattern_opener(),
    )

    rows = read_rows(run.results_file)
    assert summary.trials == len(rows) == 2 * 2 * len(CASES)
    assert Counter(transcript_keys(run)) == Counter(keys(rows))
    assert max(Counter(transcript_keys(run)).values()) == 1
    for transcript in iter_transcripts(run.transcripts_file):
        assert transcript.events[-1].kind == "score"
        assert transcript.events[0].kind == "plan"
    assert json.loads(run.spec_file.read_text())["args"]["transcripts"] is True


async def test_no_transcripts_writes_no_file(tmp_path: Path) -> None:
    cases = write_cases(tmp_path / "cases.yaml")

    run, _ = await run_new(
        config(cases, transcripts=False),
        offline_settings(),
        tmp_path / "run",
        open_planner_for=pattern_opener(),
    )

    assert run.results_file.is_file()
    assert not run.transcripts_file.exists()


def test_reconcile_keeps_one_line_per_row_and_drops_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "transcripts.jsonl"
    line = {"version": 1, "planner": "p", "case_id": "a", "repeat": 0, "prompt": "x"}
    other = {**line, "case_id": "b"}
    lines = [line, other, line]
    path.write_text("".join(json.dumps(item) + "\n" for item in lines) + '{"version": 1, "pla')

    dropped = reconcile_transcripts(path, {("p", "a", 0)})

    assert dropped == 3  # b (no row), a's second line, the torn line
    assert read_rows(path) == [line]
    assert reconcile_transcripts(path, {("p", "a", 0)}) == 0


async def test_the_api_key_is_in_no_file_even_when_the_server_echoes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 401 that quotes the key (as OpenAI's does) is recorded, masked."""
    monkeypatch.chdir(tmp_path)
    fake = FakeLlama()
    first = True

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal first
        warm_up = any(part in request.content for part in WARMUP_PARTS)
        if first or warm_up:  # the warm-ups (before any trial), then the first trial
            first = first and warm_up
            message = f"Incorrect API key provided: {FAKE_KEY}. Bearer {FAKE_KEY}"
            return httpx.Response(401, json={"error": {"message": message, "type": "auth"}})
        chat = is_chat(request)
        text = plan_json(("calculator", {"expression": "2+2"})) if chat else " no\n"
        return httpx.Response(200, json=completion_json(chat, text))

    fake.repeat = answer
    settings = offline_settings(
        openai_base_url="https://llm.example.test/v1",
        openai_api_key=FAKE_KEY,
        llm_model="fake-model",
        hybrid_strategy="llm-first",
    )
    cases = write_cases(tmp_path / "cases.yaml")
    cfg = config(cases, planners=("pattern", "llm", "hybrid", "dec=llm[mode=decomposed]"))

    def server(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":  # the probe of what serves the endpoint
            return httpx.Response(200, json={"object": "list", "data": [{"id": "fake-model"}]})
        return fake.handler(request)

    run, summary = await run_new(
        cfg, settings, tmp_path / "run", http_transport=lambda: httpx.MockTransport(server)
    )
    build_report(run.path)

    assert fake.requests[0].headers["authorization"] == f"Bearer {FAKE_KEY}"  # it was used
    assert summary.latency_measurement is not None
    failed = [w.error for w in summary.latency_measurement.warmup if w.error]
    assert failed
    assert all("***" in error for error in failed)  # the warm-ups' errors, masked too
    transcripts = run.transcripts_file.read_text(encoding="utf-8")
    assert "Incorrect API key provided: ***" in transcripts  # the echo was recorded, masked
    files = [path for path in tmp_path.rglob("*") if path.is_file()]  # noqa: ASYNC240
    assert {"transcripts.jsonl", "results.jsonl", "report.html"} <= {p.name for p in files}
    for path in files:
        assert FAKE_KEY not in path.read_text(encoding="utf-8", errors="replace"), path
        assert FAKE_KEY.encode() not in path.read_bytes(), path


async def test_a_key_echoed_in_a_200_answer_is_in_no_file_whole_or_in_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server puts the `Authorization` header into the plan and the text it answers."""
    monkeypatch.chdir(tmp_path)
    fragment = FAKE_KEY.removeprefix("sk-")

    def server(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":  # the probe of what serves the endpoint
            return httpx.Response(200, json={"object": "list", "data": [{"id": "fake-model"}]})
        said = f"{request.headers['authorization']} {fragment}"
        chat = is_chat(request)
        step = ("todo_store", {"action": "add", "title": f"note {said}"})
        text = plan_json(step) if chat else f" yes\ntodo_add\nTitle: note {said}\n"
        return httpx.Response(200, json=completion_json(chat, text))

    settings = offline_settings(
        openai_base_url="https://llm.example.test/v1",
        openai_api_key=FAKE_KEY,
        llm_model="fake-model",
        hybrid_strategy="llm-first",
    )
    cases = write_cases(tmp_path / "cases.yaml")
    cfg = config(cases, planners=("llm", "hybrid", "dec=llm[mode=decomposed]"))

    run, _ = await run_new(
        cfg, settings, tmp_path / "run", http_transport=lambda: httpx.MockTransport(server)
    )
    build_report(run.path)

    results = run.results_file.read_text(encoding="utf-8")
    assert "note Bearer ***" in results  # the echo was kept, masked
    files = [path for path in tmp_path.rglob("*") if path.is_file()]  # noqa: ASYNC240
    assert {"transcripts.jsonl", "results.jsonl", "report.html"} <= {p.name for p in files}
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert FAKE_KEY not in text, path
        assert fragment not in text, path


def start_eval(cwd: Path, *args: str) -> subprocess.Popen[bytes]:
    clean = ("OPENAI_", "LLM_", "PLANNER", "LOCAL_", "SERVICE_", "EVAL_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(clean)}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    return subprocess.Popen(
        [sys.executable, "-m", "crane_bench.cli.app", "eval", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def lines_in(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


@pytest.mark.integration
def test_kill_9_mid_run_and_resume_keep_both_files_in_step(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "run")
    suite = len(load_cases([EVALS / "cases"]))  # the gold suite's cases, one trial each
    planner = "slow=tests.evals.slow_planner:SlowPattern"
    args = ["--planners", planner, "--cases", str(EVALS / "cases"), "--concurrency", "4"]
    parent = start_eval(tmp_path, *args, "--out", "run")
    try:
        deadline = time.monotonic() + 120
        while lines_in(run.results_file) < 30:
            assert parent.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "the run wrote no rows in time"
            time.sleep(0.02)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    finally:
        if parent.poll() is None:
            parent.kill()
    written = len(read_rows(run.results_file)) if run.results_file.exists() else 0
    assert 30 <= written < suite
    # Also as if killed between a transcript and its row: drop the last row.
    rows = run.results_file.read_bytes().splitlines(keepends=True)
    run.results_file.write_bytes(b"".join(rows[:-1]))
    assert lines_in(run.transcripts_file) >= len(rows)  # the dropped row's transcript is there

    resumed = start_eval(tmp_path, "--resume", "run")
    assert resumed.wait(timeout=300) in (0, 1)  # 1: the rules fail a gate or two

    rows_now = read_rows(run.results_file)
    assert len(rows_now) == suite
    assert Counter(keys(rows_now)) == Counter(transcript_keys(run))
    assert max(Counter(transcript_keys(run)).values()) == 1


def eval_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["eval", "--planners", "pattern", *args])
    return result.exit_code, result.stderr


@pytest.mark.parametrize(
    ("flag", "env"), [("--no-transcripts", None), (None, "false")], ids=["flag", "setting"]
)
def test_transcripts_can_be_switched_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: str | None, env: str | None
) -> None:
    isolated_workdir(tmp_path, monkeypatch)
    if env is not None:
        monkeypatch.setenv("EVAL_TRANSCRIPTS", env)
    code, _ = eval_cli("--cases", "cases.yaml", "--out", "run", *([flag] if flag else []))
    assert code in (0, 1)
    assert (tmp_path / "run" / "results.jsonl").is_file()
    assert not (tmp_path / "run" / "transcripts.jsonl").exists()


def test_a_bad_setting_or_resume_with_no_transcripts_is_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolated_workdir(tmp_path, monkeypatch)
    monkeypatch.setenv("EVAL_TRANSCRIPTS", "sometimes")
    code, err = eval_cli("--cases", "cases.yaml", "--out", "run")
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "transcripts" in err
    monkeypatch.delenv("EVAL_TRANSCRIPTS")
    assert eval_cli("--cases", "cases.yaml", "--out", "run")[0] in (0, 1)
    result = CliRunner().invoke(app, ["eval", "--resume", "run", "--no-transcripts"])
    assert result.exit_code == 2
    assert "--no-transcripts" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
