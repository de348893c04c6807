"""Child processes: stopping whole trees, and CPU accounting."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import psutil
import pytest

from crane_bench.load.processes import CpuSampler, free_port, spawn, stop, tail

pytestmark = pytest.mark.integration

# A parent whose child runs in a session of its own and ignores SIGTERM, like the local
# model server under the service.
STUBBORN_TREE = """
import subprocess, sys, time
subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"],
    start_new_session=True)
print("started", flush=True)
time.sleep(60)
"""


def test_stop_ends_descendants_in_other_sessions_that_ignore_sigterm(tmp_path: Path) -> None:
    log = tmp_path / "tree.log"
    process = spawn([sys.executable, "-c", STUBBORN_TREE], log)
    deadline = time.monotonic() + 20
    while "started" not in tail(log) and time.monotonic() < deadline:
        time.sleep(0.05)
    (child,) = psutil.Process(process.pid).children()
    assert stop(process, grace_s=0.5) < 0  # ended by a signal
    assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE


def test_cpu_sampler_counts_a_busy_process(tmp_path: Path) -> None:
    busy = "import time\nend = time.time() + 1.0\nwhile time.time() < end: pass\n"
    process = spawn([sys.executable, "-c", busy], tmp_path / "busy.log")
    sampler = CpuSampler(process.pid)
    while process.poll() is None:
        sampler.sample()
        time.sleep(0.05)
    report = sampler.report()
    assert report.cpu_s > 0
    assert report.processes == 1
    assert 0 < report.share <= 1


def test_free_port_can_be_bound() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
