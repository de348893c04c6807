"""Child processes of a load run: start, stop (whole process groups), and CPU accounting.

Each child starts in a session of its own, so a Ctrl-C in the terminal reaches only the
runner, which then stops its children in order (locust first, so it still writes its
result, then the service). Stopping asks the group leader politely (SIGTERM), waits,
and then kills whatever is left of the group: locust's forked workers, or the model
server that `crane-bench serve --planner llm` started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import psutil

from load.summary import CpuReport

GRACE_S = 15.0


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def spawn(
    command: Sequence[str], log: Path, *, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start `command` in a new session, its output (both streams) appended to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - argv built by the caller, no shell
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            start_new_session=True,
        )


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - a member we may not signal still exists
        return True
    return True


def stop(process: subprocess.Popen[bytes], grace_s: float = GRACE_S) -> int:
    """SIGTERM the leader, wait up to `grace_s`, then SIGKILL its whole process group.

    Descendants in sessions of their own (the local model server starts in one) are not
    in the group: the tree is read before the signal, and whatever of it outlives the
    leader is terminated, then killed.

    Returns:
        The leader's exit code (negative: the signal that ended it).
    """
    try:
        tree = psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        tree = []
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace_s)
    # The group id is the leader's pid (new session). Once the leader is gone (or did not
    # go in time), anything left in its group is a stray: kill it.
    if _group_alive(process.pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    code = process.wait()
    _end(tree, grace_s=min(grace_s, 5.0))
    return code


def _end(processes: list[psutil.Process], grace_s: float = 5.0) -> None:
    """Terminate, and after `grace_s` kill, those of `processes` still running."""
    alive = [p for p in processes if p.is_running()]
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _, alive = psutil.wait_procs(alive, timeout=grace_s)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(alive, timeout=grace_s)


def tail(path: Path, lines: int = 15) -> str:
    """The last `lines` lines of a log file, for an error message."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip().splitlines()[-lines:])


class CpuSampler:
    """Samples the CPU time of a process and its descendants, to report it over a window.

    Each process's own user+system time is kept at its last sampled value, so a worker
    that exits keeps what it used up to the last sample: sample a few times a second.
    `report` takes a wall-clock window (the load itself), so start-up and shut-down
    (imports, writing reports) do not count as load.
    """

    def __init__(self, pid: int) -> None:
        self._root = psutil.Process(pid)
        self._cpu: dict[int, float] = {}
        self._samples: list[tuple[float, float]] = []
        self.sample()

    def sample(self) -> None:
        """Read the CPU times of every live process of the tree."""
        try:
            tree = [self._root, *self._root.children(recursive=True)]
        except psutil.Error:
            return
        for proc in tree:
            try:
                times = proc.cpu_times()
            except psutil.Error:
                continue
            self._cpu[proc.pid] = max(self._cpu.get(proc.pid, 0.0), times.user + times.system)
        self._samples.append((time.time(), sum(self._cpu.values())))

    def _cpu_at(self, when: float, *, after: bool) -> tuple[float, float]:
        """The (time, cpu) sample nearest `when`: the first after it, or the last before."""
        if after:
            return next((s for s in self._samples if s[0] >= when), self._samples[-1])
        return next((s for s in reversed(self._samples) if s[0] <= when), self._samples[0])

    def report(self, since: float | None = None, until: float | None = None) -> CpuReport:
        """CPU used between the Unix times `since` and `until` (default: all samples)."""
        first = self._cpu_at(since, after=False) if since is not None else self._samples[0]
        last = self._cpu_at(until, after=True) if until is not None else self._samples[-1]
        wall = max(last[0] - first[0], 1e-9)
        cpu = max(last[1] - first[1], 0.0)
        cores = psutil.cpu_count() or 1
        return CpuReport(
            cpu_s=round(cpu, 3),
            wall_s=round(wall, 3),
            cores_used=round(cpu / wall, 3),
            share=round(cpu / wall / cores, 3),
            cores=cores,
            processes=len(self._cpu),
        )
