"""Where the service keeps its runs: the `RunStore` protocol and the in-memory store.

A store holds records as values: writers put a new record for every change and never
mutate one they have put. Three stores implement the protocol: this module's
`InMemoryRunStore` (tests, benchmarks; one process), `SqliteRunStore` (the default; the
processes of one host) and `PostgresRunStore` (several hosts); `store_url.open_store`
picks one from `RUN_STORE_URL`.

Every store keeps all unfinished runs and the newest `max_finished` finished ones,
deleting the run that finished first. A run remembers the process that owns it; when a
store opens, the unfinished runs of owners that died are marked failed, `interrupted`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from crane_bench.runtime.errors import IdempotencyKeyReusedError, RunStoreError
from crane_bench.runtime.models import RunRecord, RunStatus, StepError
from crane_bench.runtime.orchestrator import now

logger = logging.getLogger(__name__)

RECOVER_EVERY_S = 60.0
"""How often a service looks again for runs of processes that died (`recover_every`)."""
INTERRUPTED_REASON = (
    "the service stopped (killed or crashed) before the run finished; it was not run again"
)


@dataclass(frozen=True)
class Idempotency:
    """A submission's `Idempotency-Key` and the fingerprint of the body it came with.

    Attributes:
        key: The client's key, unique per run (while the run is kept).
        fingerprint: A digest of the request body; the same key with another is refused.
    """

    key: str
    fingerprint: str


@runtime_checkable
class RunStore(Protocol):
    """Persistence of runs, keyed by `run_id`."""

    async def open(self) -> int:
        """Get ready (connect, create tables); idempotent.

        Returns:
            How many unfinished runs of processes that died were marked interrupted.
        """
        ...

    async def close(self) -> None:
        """Release connections and this process's claim on its runs; idempotent."""
        ...

    async def create(self, run: RunRecord, idempotency: Idempotency | None = None) -> RunRecord:
        """Insert a new run; with a key that a kept run holds, insert nothing.

        Returns:
            `run`, or the run that holds the key.

        Raises:
            IdempotencyKeyReusedError: The key's run was submitted with another body.
        """
        ...

    async def put(self, run: RunRecord) -> None:
        """Insert or replace the unfinished run with `run.run_id`.

        Raises:
            ValueError: That run already finished (runs never go back).
        """
        ...

    async def finish(self, run: RunRecord) -> bool:
        """Record a finished run, unless it was recorded finished before.

        Returns:
            True when `run` was written; False when the run had already finished.
        """
        ...

    async def get(self, run_id: str) -> RunRecord | None:
        """The run, or None when it is unknown (or was evicted)."""
        ...

    async def recent(self, *, limit: int, status: RunStatus | None = None) -> list[RunRecord]:
        """Up to `limit` runs, newest created first, optionally only those with `status`."""
        ...


def interrupted(run: RunRecord) -> RunRecord:
    """`run`, failed as `interrupted`: its process died before it finished."""
    ended = now()
    return run.model_copy(
        update={
            "status": RunStatus.FAILED,
            "error": StepError(kind="interrupted", type="Interrupted", message=INTERRUPTED_REASON),
            "ended_at": ended,
        }
    )


async def recover_every(store: RunStore, every_s: float = RECOVER_EVERY_S) -> None:
    """Mark the runs of dead owners interrupted every `every_s`, until cancelled.

    A store marks them when it opens; this catches the owners that die later: a worker
    killed and replaced by uvicorn's supervisor, another host (PostgreSQL) that vanished.
    """
    while True:
        await asyncio.sleep(every_s)
        try:
            await store.open()  # idempotent: only the look for dead owners runs again
        except RunStoreError as exc:
            logger.warning("looking for interrupted runs failed: %s", exc)


def check_fingerprint(idempotency: Idempotency, fingerprint: str | None) -> None:
    """Refuse a key that comes back with another body.

    Raises:
        IdempotencyKeyReusedError: `fingerprint` (the kept one) is not the request's.
    """
    if fingerprint != idempotency.fingerprint:
        raise IdempotencyKeyReusedError(
            "Idempotency-Key already used with a different request body; send the same body "
            "to get its run, or use a new key for a new run"
        )


class InMemoryRunStore:
    """A process-local store that keeps every unfinished run and the newest finished ones.

    Memory stays flat under load: once more than `max_finished` runs have finished, the
    one that finished first is dropped. Unfinished runs are never dropped (the executor
    bounds how many there can be). No method awaits anything, so each one runs without
    interruption on the event loop and concurrent tasks cannot interleave inside it.
    Nothing survives the process, so `open` has nothing to mark interrupted.

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
        self._keys: dict[str, tuple[str, str]] = {}  # key -> (run id, fingerprint)
        self._key_of: dict[str, str] = {}  # run id -> key

    def __len__(self) -> int:
        return len(self._runs)

    async def open(self) -> int:
        """Nothing to open; no run outlived a process here."""
        return 0

    async def close(self) -> None:
        """Nothing to close."""

    async def create(self, run: RunRecord, idempotency: Idempotency | None = None) -> RunRecord:
        """Insert a new run, or return the kept run that holds its key."""
        if idempotency is not None:
            held = self._keys.get(idempotency.key)
            if held is not None:
                check_fingerprint(idempotency, held[1])
                return self._runs[held[0]]
            self._keys[idempotency.key] = (run.run_id, idempotency.fingerprint)
            self._key_of[run.run_id] = idempotency.key
        await self.put(run)
        return run

    async def put(self, run: RunRecord) -> None:
        """Insert or replace a run (a finished one through `finish`).

        Raises:
            ValueError: The run already finished and `run` says it has not.
        """
        run_id = run.run_id
        if run_id in self._finished:
            raise ValueError(f"run {run_id} already finished; it cannot become {run.status}")
        if run.status.terminal:
            await self.finish(run)
            return
        self._runs[run_id] = run

    async def finish(self, run: RunRecord) -> bool:
        """Record a finished run; it may evict the run that finished first."""
        run_id = run.run_id
        if run_id in self._finished:
            return False
        self._runs[run_id] = run
        self._finished[run_id] = None
        while len(self._finished) > self.max_finished:
            evicted, _ = self._finished.popitem(last=False)
            del self._runs[evicted]
            key = self._key_of.pop(evicted, None)
            if key is not None:
                del self._keys[key]
        return True

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
