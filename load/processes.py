"""Child processes of a load run: CPU accounting, and the shared process plumbing.

Spawning, stopping whole trees and log tails are `plumbing.processes`'s (the local model
server uses the same), re-exported here for the runner. Children start in sessions of
their own, so a Ctrl-C reaches only the runner, which then stops them in order (locust
first, so it still writes its result, then the service); they die with the runner even
when it is killed with SIGKILL.
"""

from __future__ import annotations

import time

import psutil

from crane_bench.load.summary import CpuReport
from crane_bench.plumbing.processes import GRACE_S, free_port, spawn, stop, tail

__all__ = ["GRACE_S", "CpuSampler", "free_port", "spawn", "stop", "tail"]


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
