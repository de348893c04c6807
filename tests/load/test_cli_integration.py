"""`crane-bench load` for real: locust against the service it starts, or a tiny local server.

Each test checks that nothing it started is left running: no child of this process,
and no process anywhere whose command line names the run directory (locust and its
workers) or the started service's port.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from typer.testing import CliRunner

from crane_bench.cli.app import app
from crane_bench.load import SUMMARY_FILE, LoadSummary, read_history, read_summary
from tests.load.fake_service import dying_service, fake_service

pytestmark = pytest.mark.integration

# The fake completes every run, so prompts meant to fail count as RUN failures; the
# machine is shared, so the rate and baseline checks must be present, not tight.
PERMISSIVE = """\
max_fail_ratio: {HTTP: 0.01}
min_rate_ratio: 0
baseline: {max_p95_increase: 1000, max_throughput_drop: 1.0}
"""
IMPOSSIBLE = "max_fail_ratio: {}\nmax_p95_ms: {RUN: 0.001}\n"


def strays(run_dir: Path, host: str | None = None) -> list[str]:
    """Processes still alive that this run started."""
    port = host.rsplit(":", 1)[1] if host else None
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        cmdline = proc.info["cmdline"] or []
        if proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        named = any(str(run_dir) in arg for arg in cmdline)
        serving = port is not None and "serve" in cmdline and port in cmdline
        if named or serving:
            found.append(" ".join(cmdline))
    return found


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LLM_MODEL", "PLANNER"):
        monkeypatch.delenv(name, raising=False)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    yield
    after = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    assert [p for p in after if p.status() != psutil.STATUS_ZOMBIE] == []


def load(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["load", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, Path]:
    """One short run of the mixed scenario against the real service, pattern planner."""
    out = tmp_path_factory.mktemp("load") / "real"
    with pytest.MonkeyPatch.context() as patch:
        for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LLM_MODEL", "PLANNER"):
            patch.delenv(name, raising=False)
        code, _stdout, stderr = load(
            "--scenario", "mixed", "--users", "10", "--spawn-rate", "10", "--run-time", "5s",
            "--out", str(out),
        )  # fmt: skip
    return code, stderr, out


def test_a_short_real_run_writes_a_plausible_summary_and_exits_0(
    real_run: tuple[int, str, Path],
) -> None:
    code, stderr, out = real_run
    assert code == 0, stderr
    summary = read_summary(out / SUMMARY_FILE)
    assert not strays(out, summary.host)
    assert summary.config.scenario == "mixed"
    http, run = summary.requests.http, summary.requests.by_type["RUN"]
    assert http.requests > 0
    assert run.requests > 0
    for group in (http, run, *summary.requests.by_type.values()):
        assert group.p50_ms is not None
        assert group.p95_ms is not None
        assert group.p99_ms is not None
        assert group.max_ms is not None
        assert group.p50_ms <= group.p95_ms <= group.p99_ms <= group.max_ms * 1.1  # rounding
    assert run.failures == 0, summary.requests.failures
    assert {"GET", "POST", "RUN"} <= set(summary.requests.by_type)
    assert summary.rate.achieved_per_s > 0
    assert summary.peak_users == 10
    assert summary.gates.passed
    assert summary.server is not None
    finished = sum(summary.server.runs_by_status.values())
    # Users stopped mid-request leave runs the server finished but locust never counted.
    assert run.requests <= finished <= summary.requests.by_type["POST"].requests + 10
    assert summary.generator_cpu.cpu_s > 0
    assert summary.service_cpu is not None
    for name in ("history.csv", "stats.json", "report.html", "locust.log", "service.log"):
        assert (out / name).is_file(), name
    rows = read_history(out / "history.csv")
    assert sum(r.requests for r in rows if r.request_type == "RUN") == run.requests
    locust_json = json.loads((out / "stats.json").read_text())
    assert sum(e["num_requests"] for e in locust_json if e["method"] == "RUN") == run.requests


def test_an_impossible_gate_exits_1_and_names_the_check(tmp_path: Path) -> None:
    (tmp_path / "slo.yaml").write_text(IMPOSSIBLE)
    out = tmp_path / "run"
    with fake_service() as host:
        code, stdout, stderr = load(
            "--host", host, "--scenario", "calculator", "--users", "3", "--run-time", "2s",
            "--slo", str(tmp_path / "slo.yaml"), "--out", str(out),
        )  # fmt: skip
    assert code == 1, stderr
    assert stdout.strip() == str(out)
    failing = [line for line in stderr.splitlines() if line.startswith("FAIL ")]
    assert len(failing) == 1
    assert failing[0].startswith("FAIL p95_ms[RUN]: ")
    summary = read_summary(out / SUMMARY_FILE)
    assert [c.name for c in summary.gates.failures] == ["p95_ms[RUN]"]
    assert summary.locust_exit_code == 1  # set by the quitting listener from the gates
    assert summary.server is None
    assert "404" in (summary.server_error or "")
    assert not strays(out)


def test_a_target_answering_500_is_reported_as_failures_not_a_crash(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with fake_service(broken=True) as host:
        code, _, stderr = load(
            "--host", host, "--scenario", "mixed", "--users", "3", "--run-time", "2s",
            "--out", str(out),
        )  # fmt: skip
    assert code == 1, stderr
    assert "Traceback" not in stderr
    summary = read_summary(out / SUMMARY_FILE)
    http = summary.requests.http
    assert http.requests > 0
    assert http.failures == http.requests
    assert {f.error for f in summary.requests.failures} >= {"HTTP 500", "submit: HTTP 500"}
    assert {c.name for c in summary.gates.failures} == {"fail_ratio[HTTP]", "fail_ratio[RUN]"}
    assert "FAIL fail_ratio[HTTP]: 1 > 0.01" in stderr
    assert not strays(out)


@pytest.mark.parametrize("processes", ["1", "2"])
def test_a_host_that_dies_mid_run_stops_the_load_and_the_summary_says_when(
    tmp_path: Path, processes: str
) -> None:
    out = tmp_path / "run"
    with dying_service(dies_after_s=3.0) as host:
        code, _, stderr = load(
            "--host", host, "--scenario", "calculator", "--users", "5", "--run-time", "40s",
            "--processes", processes, "--out", str(out),
        )  # fmt: skip

    assert code == 1, stderr
    summary = read_summary(out / SUMMARY_FILE)
    gone = summary.host_gone
    assert gone is not None
    assert summary.started_at <= gone.at <= summary.finished_at
    assert gone.failures >= 5
    assert gone.after_s is not None
    assert gone.after_s > 0
    assert "host_answered" in {c.name for c in summary.gates.failures}
    assert f"{host} stopped answering" in stderr
    # A few failures in a row stop the load: not a flood of refused connections.
    unanswered = sum(
        f.occurrences for f in summary.requests.failures if "connection error" in f.error
    )
    assert 0 < unanswered < 200
    assert summary.requests.by_type["RUN"].requests > 0  # it ran before the host died
    assert not strays(out)


def listening_during(out: Path, *args: str) -> tuple[tuple[int, str, str], set[str]]:
    """Run `load *args` on a thread; its result, and the addresses its processes listened on."""
    listening: set[str] = set()
    done = threading.Event()
    result: list[tuple[int, str, str]] = []

    def run() -> None:
        try:
            result.append(load(*args))
        finally:
            done.set()

    runner = threading.Thread(target=run)
    runner.start()
    while not done.wait(0.2):  # the sockets locust listens on while it runs
        for proc in psutil.process_iter(["cmdline"]):
            if not any(str(out) in arg for arg in proc.info["cmdline"] or []):
                continue
            try:
                sockets = proc.net_connections(kind="tcp")
            except psutil.Error:
                continue
            listening |= {s.laddr.ip for s in sockets if s.status == psutil.CONN_LISTEN}
    runner.join()
    assert result, "the load command raised"
    return result[0], listening


def test_master_and_workers_with_a_shape_rate_and_baseline_listen_on_loopback_only(
    tmp_path: Path, real_run: tuple[int, str, Path]
) -> None:
    # One run with a master and two local workers checks both what they measure and that
    # the master listens on loopback only (these were two runs of the same set-up).
    (tmp_path / "slo.yaml").write_text(PERMISSIVE)
    out = tmp_path / "run"
    with fake_service() as host:
        (code, _, stderr), listening = listening_during(
            out,
            "--host", host, "--scenario", "mixed", "--users", "6", "--spawn-rate", "20",
            "--run-time", "4s", "--processes", "2", "--shape", "step", "--rate", "30",
            "--slo", str(tmp_path / "slo.yaml"), "--baseline", str(real_run[2] / SUMMARY_FILE),
            "--out", str(out),
        )  # fmt: skip
    assert code == 0, stderr
    assert listening  # the master was seen listening
    assert listening == {"127.0.0.1"}
    summary = read_summary(out / SUMMARY_FILE)
    assert summary.generator_cpu.processes >= 3  # a master and two workers
    assert summary.requests.http.requests > 0
    assert summary.rate.target_per_s == 30
    assert summary.rate.arrivals > 0
    assert summary.rate.expected_per_s is not None
    assert summary.rate.expected_per_s < 30
    names = {c.name for c in summary.gates.checks}
    assert {"rate_ratio", "baseline.p95_ms[RUN]", "baseline.requests_per_s"} <= names
    rows = read_history(out / "history.csv")  # merged from the workers' reports
    assert sum(r.arrivals for r in rows if r.request_type == "HTTP") == summary.rate.arrivals
    assert max(r.users for r in rows) <= 6
    assert not strays(out)


def test_ctrl_c_stops_everything_and_keeps_what_was_measured(tmp_path: Path) -> None:
    out = tmp_path / "run"
    command = [
        sys.executable, "-m", "crane_bench.cli.app", "load", "--scenario", "calculator",
        "--users", "5", "--run-time", "60s", "--out", str(out),
    ]  # fmt: skip
    cli = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen: dict[int, psutil.Process] = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until locust has users running
        for child in psutil.Process(cli.pid).children(recursive=True):
            seen.setdefault(child.pid, child)
        log = out / "locust.log"
        if log.is_file() and "All users spawned" in log.read_text():
            break
        time.sleep(0.1)
    time.sleep(1.0)
    cli.send_signal(signal.SIGINT)
    _, stderr = cli.communicate(timeout=60)
    assert cli.returncode == 130, stderr.decode()
    assert len(seen) >= 2  # the service and locust
    assert [p.pid for p in seen.values() if p.is_running() and p.status() != "zombie"] == []
    summary = LoadSummary.model_validate_json((out / SUMMARY_FILE).read_text())
    assert summary.interrupted
    assert summary.requests.by_type["RUN"].requests > 0
    assert not strays(out, summary.host)
