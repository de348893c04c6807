"""Background execution of runs: admission, the run timeout, and draining on shutdown.

Each accepted run is an asyncio task that the executor tracks until it ends. The task
is bounded by a deadline fixed at submission (`run_timeout_s` later), so no run stays
`running` past the run timeout. Every change of state is written to the store before
anyone is told of it. On shutdown the executor stops accepting, lets runs in flight
finish for a grace period, then cancels the rest and records them as failed.

A run another process owns (an `Idempotency-Key` sent again to another worker or
host) is waited for by reading the store every `REMOTE_POLL_S`: the store is what the
processes share, and a read of one row is cheap next to a run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from crane_bench.runtime.agent import Agent
from crane_bench.runtime.errors import (
    PlannerUnavailableError,
    RunStoreError,
    ServiceUnavailableError,
    UserError,
)
from crane_bench.runtime.models import ErrorKind, PlanMeta, RunRecord, RunStatus, StepError
from crane_bench.runtime.orchestrator import error_of, new_run_id, now
from crane_bench.runtime.service.store import Idempotency, RunStore
from crane_bench.runtime.tools import TodoTool, ToolRegistry

logger = logging.getLogger(__name__)

SHUTDOWN_REASON = "the service shut down before the run finished"
# After cancelling, how long a run may take to unwind before it is recorded anyway
# (part of the shutdown's reserve: `shutdown.SHUTDOWN_RESERVE_S`).
_UNWIND_S = 0.5
REMOTE_POLL_S = 0.05
"""How often a wait for a run of another process reads the store."""
REMOTE_GRACE_S = 1.0
"""How long past its run timeout a run of another process is waited for (clock skew)."""


@dataclass(frozen=True)
class Submission:
    """What a submission got: its run, and whether an earlier request had made it.

    Attributes:
        run: The pending run, or the run its `Idempotency-Key` already holds.
        replayed: True when the key was known: no new run was started.
    """

    run: RunRecord
    replayed: bool = False


def shutdown_cancelled(run: RunRecord) -> bool:
    """True when the service's drain ended `run` (it had not finished on its own)."""
    return (
        run.error is not None
        and run.error.kind == "cancelled"
        and (run.error.message == SHUTDOWN_REASON)
    )


class RunRecorder(Protocol):
    """What the executor reports; `ServiceMetrics` implements it."""

    def run_started(self) -> None:
        """A run was accepted."""

    def run_ended(self) -> None:
        """A run left flight."""

    def run_rejected(self, reason: str) -> None:
        """A submission was refused."""

    def run_finished(self, run: RunRecord) -> None:
        """A run reached a terminal state (completed or failed)."""


class RunExecutor:
    """Runs prompts in the background with the agents of the planners it was given.

    Args:
        agents: One agent per planner name this server can run.
        store: Where runs are written at every change.
        default_planner: The planner of submissions that name none.
        recorder: Told about every run (metrics).
        run_timeout_s: Bound of a whole run, planning included.
        max_in_flight: Runs pending or running at once; beyond it, submissions fail.
    """

    def __init__(
        self,
        agents: Mapping[str, Agent],
        store: RunStore,
        recorder: RunRecorder,
        *,
        default_planner: str = "pattern",
        run_timeout_s: float,
        max_in_flight: int,
    ) -> None:
        self.agents = dict(agents)
        self.store = store
        self.default_planner = default_planner
        self.recorder = recorder
        self.run_timeout_s = run_timeout_s
        self.max_in_flight = max_in_flight
        self.accepting = True
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._deadlines: dict[str, float] = {}
        self._cancel_reasons: dict[str, tuple[ErrorKind, str]] = {}
        # Runs someone waits for (how many waiters), and their final records: a waiter
        # gets the record it waited for even when the store has evicted it since.
        self._waiters: dict[str, int] = {}
        self._final: dict[str, RunRecord] = {}
        self._drain: asyncio.Future[None] | None = None
        self._stopping = asyncio.Event()  # set when the drain's grace is over

    @property
    def in_flight(self) -> int:
        """Runs pending or running."""
        return len(self._tasks)

    async def submit(
        self,
        prompt: str,
        planner: str | None = None,
        *,
        todos: Sequence[str] = (),
        idempotency: Idempotency | None = None,
    ) -> Submission:
        """Accept a run and start it in the background, once it is in the store.

        Args:
            prompt: What to run.
            planner: Which planner plans it; `default_planner` when None.
            todos: Todo titles the run's todo store holds before the plan runs (ids 1..n).
            idempotency: The request's `Idempotency-Key`: a key the store knows gives its
                run back and starts nothing.

        Raises:
            PlannerUnavailableError: No agent for `planner`.
            UserError: `todos` were given and this server's tools have no todo store.
            IdempotencyKeyReusedError: The key came with another body before.
            ServiceUnavailableError: Shutting down, or `max_in_flight` runs in flight.
            RunStoreError: The store could not write the run.
        """
        planner = planner or self.default_planner
        agent = self.agents.get(planner)
        if agent is None:
            available = ", ".join(sorted(self.agents))
            raise PlannerUnavailableError(
                f"planner {planner!r} is not available on this server (available: {available}); "
                "start it with --planner llm or hybrid, or configure OPENAI_BASE_URL"
            )
        tools = _tools_with_todos(agent, todos)
        if not self.accepting or len(self._tasks) >= self.max_in_flight:
            reason = "shutting_down" if not self.accepting else "busy"
            self.recorder.run_rejected(reason)
            message = "the service is shutting down" if not self.accepting else "too many runs"
            raise ServiceUnavailableError(message, reason=reason)
        run = RunRecord(
            run_id=new_run_id(),
            prompt=prompt,
            status=RunStatus.PENDING,
            planner=PlanMeta(planner=planner),
            created_at=now(),
        )
        held = await self.store.create(run, idempotency)
        if held.run_id != run.run_id:
            return Submission(held, replayed=True)
        loop = asyncio.get_running_loop()
        self._deadlines[run.run_id] = loop.time() + self.run_timeout_s
        task = loop.create_task(self._execute(agent, run, tools), name=f"run-{run.run_id}")
        self._tasks[run.run_id] = task
        self.recorder.run_started()
        task.add_done_callback(lambda _: self._forget(run.run_id))
        return Submission(run)

    async def wait(self, run_id: str) -> RunRecord | None:
        """Wait for a run to end, at most until its deadline; then it is failed as timed out.

        The finished record of a run of this process is handed over directly, so however
        small the store's bound, its eviction in between cannot turn the answer stale. A
        run of another process is read from the store until it ends, its deadline passes
        (it is returned as it stands) or this executor drains. Returns None only for an
        unknown run id (or one that ended and was evicted before the wait began).
        """
        task = self._tasks.get(run_id)
        if task is None:
            return await self._wait_remote(run_id)
        self._waiters[run_id] = self._waiters.get(run_id, 0) + 1
        try:
            try:
                async with asyncio.timeout_at(self._deadlines[run_id]):
                    await asyncio.wait({task})
            except TimeoutError:
                # The task's own deadline fires at the same moment; whichever is first,
                # the run ends as a run timeout.
                await self._cancel({run_id: task}, "run_timeout", self._timeout_message())
            return self._final.get(run_id) or await self.store.get(run_id)
        finally:
            self._waiters[run_id] -= 1
            if not self._waiters[run_id]:
                del self._waiters[run_id]
                self._final.pop(run_id, None)

    async def drain(self, timeout_s: float) -> None:
        """Stop accepting, give runs in flight `timeout_s` to end, then fail the rest.

        Idempotent: a second call (the lifespan's, after a signal's) waits for the first.
        """
        if self._drain is not None:
            await asyncio.shield(self._drain)
            return
        self._drain = asyncio.get_running_loop().create_future()
        try:
            await self._drain_once(timeout_s)  # inline: runs not yet started never start
        finally:
            self._drain.set_result(None)

    async def _drain_once(self, timeout_s: float) -> None:
        self.accepting = False
        if self._tasks and timeout_s > 0:
            logger.info("draining %d run(s) for up to %g s", len(self._tasks), timeout_s)
            await asyncio.wait(set(self._tasks.values()), timeout=timeout_s)
        self._stopping.set()  # waits for other processes' runs answer now
        if self._tasks:
            logger.warning("cancelling %d run(s) still in flight", len(self._tasks))
            await self._cancel(dict(self._tasks), "cancelled", SHUTDOWN_REASON)

    async def _wait_remote(self, run_id: str) -> RunRecord | None:
        run = await self.store.get(run_id)
        if run is None or run.status.terminal:
            return run
        deadline = run.created_at + timedelta(seconds=self.run_timeout_s + REMOTE_GRACE_S)
        while not self._stopping.is_set() and now() < deadline:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(REMOTE_POLL_S):
                    await self._stopping.wait()
            run = await self.store.get(run_id)
            if run is None or run.status.terminal:
                return run
        return run

    async def _cancel(
        self, tasks: Mapping[str, asyncio.Task[None]], kind: ErrorKind, message: str
    ) -> None:
        for run_id, task in tasks.items():
            self._cancel_reasons.setdefault(run_id, (kind, message))
            task.cancel()
        await asyncio.wait(set(tasks.values()), timeout=_UNWIND_S)
        # A task cancelled before it started never ran its own bookkeeping, and one that
        # ignores cancellation is given up on: either way the run is recorded here.
        for run_id in tasks:
            try:
                run = await self.store.get(run_id)
            except RunStoreError:
                logger.exception("run %s: could not be read to record its end", run_id)
                continue
            if run is not None and not run.status.terminal:
                await self._finish_logged(_failed(run, kind, message))

    async def _execute(self, agent: Agent, pending: RunRecord, tools: ToolRegistry) -> None:
        run_id = pending.run_id
        running = pending.model_copy(update={"status": RunStatus.RUNNING, "started_at": now()})
        began = time.perf_counter()
        try:
            await self.store.put(running)
            async with asyncio.timeout_at(self._deadlines[run_id]):
                record = await agent.run(pending.prompt, run_id=run_id, tools=tools)
            record = record.model_copy(update={"created_at": pending.created_at})
        except TimeoutError:
            record = _failed(running, "run_timeout", self._timeout_message(), began)
        except asyncio.CancelledError:
            kind, message = self._cancel_reasons.get(run_id, ("cancelled", SHUTDOWN_REASON))
            await self._finish_logged(_failed(running, kind, message, began))
            raise
        except Exception as exc:  # a bug (or a store that fails) fails its run, not the service
            logger.exception("run %s crashed", run_id)
            record = _failed(running, "internal", "", began, exc=exc)
        await self._finish_logged(record)

    async def _finish_logged(self, record: RunRecord) -> None:
        """`_finish`, with a store that fails logged: the run's task has nobody to tell."""
        try:
            await self._finish(record)
        except RunStoreError:
            logger.exception("run %s: its end could not be written to the store", record.run_id)

    async def _finish(self, record: RunRecord) -> None:
        if not await self.store.finish(record):
            return  # already recorded (a timeout and a cancel can race)
        if record.run_id in self._waiters:
            self._final[record.run_id] = record
        self.recorder.run_finished(record)

    def _forget(self, run_id: str) -> None:
        self._tasks.pop(run_id, None)
        self._deadlines.pop(run_id, None)
        self._cancel_reasons.pop(run_id, None)
        self.recorder.run_ended()

    def _timeout_message(self) -> str:
        return f"run timed out after {self.run_timeout_s:g} s"


def _tools_with_todos(agent: Agent, todos: Sequence[str]) -> ToolRegistry:
    """The run's fresh tools, its todo store holding `todos` in order (ids 1..n).

    Raises:
        UserError: `todos` were given and the tools have no todo store to hold them.
    """
    tools = agent.tools()
    if not todos:
        return tools
    store = next((t.store for t in tools.values() if isinstance(t, TodoTool)), None)
    if store is None:
        raise UserError("setup.todos: this server's tools have no todo store")
    for title in todos:
        store.add(title)
    return tools


def _failed(
    run: RunRecord,
    kind: ErrorKind,
    message: str,
    began: float | None = None,
    *,
    exc: BaseException | None = None,
) -> RunRecord:
    """`run` ended as failed with an error of `kind`."""
    if exc is not None:
        error = error_of(exc, kind)
    else:
        exc_type = "TimeoutError" if kind == "run_timeout" else "CancelledError"
        error = StepError(kind=kind, type=exc_type, message=message)
    ended = now()
    duration_ms = (time.perf_counter() - began) * 1000 if began is not None else 0.0
    return run.model_copy(
        update={
            "status": RunStatus.FAILED,
            "error": error,
            "started_at": run.started_at or ended,
            "ended_at": ended,
            "duration_ms": duration_ms,
        }
    )
