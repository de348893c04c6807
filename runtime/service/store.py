"""Where the service keeps its runs: the `RunStore` protocol and a bounded in-memory store.

A store holds records as values: writers put a new record for every change and never
mutate one they have put. That keeps the protocol small enough for SQLite or Redis.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol, runtime_checkable

from crane_bench.runtime.models import RunRecord, RunStatus


@runtime_checkable
class RunStore(Protocol):
    """Persistence of runs, keyed by `run_id`."""

    async def put(self, run: RunRecord) -> None:
        """Insert or replace the run with `run.run_id`."""
        ...

    async def get(self, run_id: str) -> RunRecord | None:
        """The run, or None when it is unknown (or was evicted)."""
        ...

    async def recent(self, *, limit: int, status: RunStatus | None = None) -> list[RunRecord]:
        """Up to `limit` runs, newest first, optionally only those with `status`."""
        ...


class InMemoryRunStore:
    """A process-local store that keeps every unfinished run and the newest finished ones.

    Memory stays flat under load: once more than `max_finished` runs have finished, the
    one that finished first is dropped. Unfinished runs are never dropped (the executor
    bounds how many there can be). No method awaits anything, so each one runs without
    interruption on the event loop and concurrent tasks cannot interleave inside it.

    Args:
        max_finished: How many finished runs to keep.
    """

    def __init__(self, max_finished: int = 10_000) -> None:
        if max_finished < 1:
            raise ValueError("max_finished must be at least 1")
        self.max_finished = max_finished
        # Insertion order is creation order; replacing a value keeps its place.
        self._runs: dict[str, RunRecord] = {}
        self._finished: OrderedDict[str, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._runs)

    async def put(self, run: RunRecord) -> None:
        """Insert or replace a run; a finished run may evict the oldest finished one.

        Raises:
            ValueError: The run already finished and `run` says it has not (runs never
                go back).
        """
        run_id = run.run_id
        if not run.status.terminal and run_id in self._finished:
            raise ValueError(f"run {run_id} already finished; it cannot become {run.status}")
        self._runs[run_id] = run
        if not run.status.terminal:
            return
        self._finished[run_id] = None
        while len(self._finished) > self.max_finished:
            evicted, _ = self._finished.popitem(last=False)
            del self._runs[evicted]

    async def get(self, run_id: str) -> RunRecord | None:
        """The run, or None when it is unknown or was evicted."""
        return self._runs.get(run_id)

    async def recent(self, *, limit: int, status: RunStatus | None = None) -> list[RunRecord]:
        """Up to `limit` runs, newest created first, optionally filtered by status."""
        found: list[RunRecord] = []
        if limit <= 0:
            return found
        for run in reversed(self._runs.values()):
            if status is None or run.status == status:
                found.append(run)
                if len(found) >= limit:
                    break
        return found
