"""Child processes: they die with their parent, even on SIGKILL; readiness; log tails."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from crane_bench.plumbing.errors import ChildExitedError, NotReadyError
from crane_bench.plumbing.processes import free_port, spawn, stop, tail
from crane_bench.plumbing.readiness import ReadinessProbe

pytestmark = pytest.mark.integration

# A parent that spawns a long sleeper the shared way, prints its pid, and waits.
PARENT = """
import sys
from pathlib import Path
from crane_bench.plumbing.processes import spawn
child = spawn([sys.executable, "-c", "import time; time.sleep(120)"], Path(sys.argv[1]))
print(child.pid, flush=True)
import time; time.sleep(120)
"""


def test_a_child_dies_with_its_parent_on_kill_9(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    with subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path / "child.log")],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    ) as parent:
        assert parent.stdout is not None
        child = psutil.Process(int(parent.stdout.readline()))
        assert child.is_running()
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        gone, _ = psutil.wait_procs([child], timeout=20)
    assert gone == [child]


def http_child(tmp_path: Path, port: int) -> subprocess.Popen[bytes]:
    server = ["-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(tmp_path)]
    return spawn([sys.executable, *server], tmp_path / "server.log")


def test_the_sync_and_async_probes_see_a_server_get_ready(tmp_path: Path) -> None:
    port = free_port()
    child = http_child(tmp_path, port)
    try:
        assert ReadinessProbe(child, f"http://127.0.0.1:{port}/", 30).wait() >= 0
        ready = asyncio.run(ReadinessProbe(child, f"http://127.0.0.1:{port}/", 30).wait_async())
        assert ready >= 0
    finally:
        stop(child, grace_s=5)


def test_a_child_that_exits_fails_the_probe_with_its_code(tmp_path: Path) -> None:
    child = spawn([sys.executable, "-c", "print('bye'); raise SystemExit(3)"], tmp_path / "x.log")
    with pytest.raises(ChildExitedError) as caught:
        ReadinessProbe(child, f"http://127.0.0.1:{free_port()}/", 30).wait()
    assert caught.value.returncode == 3
    assert tail(tmp_path / "x.log") == "bye"


def test_a_child_that_never_answers_times_out(tmp_path: Path) -> None:
    child = spawn([sys.executable, "-c", "import time; time.sleep(60)"], tmp_path / "x.log")
    try:
        with pytest.raises(NotReadyError):
            ReadinessProbe(child, f"http://127.0.0.1:{free_port()}/", 0.3).wait(interval_s=0.05)
    finally:
        started = time.monotonic()
        assert stop(child, grace_s=5) < 0
        assert time.monotonic() - started < 60


def test_tail_of_a_missing_file_is_empty(tmp_path: Path) -> None:
    assert tail(tmp_path / "nothing.log") == ""
