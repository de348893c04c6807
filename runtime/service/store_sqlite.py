"""The SQLite run store: one database file shared by every process of one host.

The file is in WAL mode, so readers never wait for the writer and the service's worker
processes (`SERVICE_WORKERS`) share it; SQLite serialises their writes. A write is
committed before the call returns, so the API answers only once the run is on disk.

sqlite3 blocks, so each store runs its calls on one thread of its own, which owns the
connection (a connection is not safe to share between threads). That thread commits in
groups: the writes that queued while it was busy go into one transaction, each inside a
savepoint so that one failing write does not undo the others. Under load one commit then
serves many runs; alone, a write is one short transaction.

Which runs did a dead process leave unfinished? Each store holds an exclusive `flock` on
a file of its own beside the database (`<db>.owners/<owner>.lock`) while it is open. The
kernel releases it when the process dies, however it dies; so a store that can take
another owner's lock knows that owner is dead and marks its unfinished runs interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import queue
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from crane_bench.runtime.errors import RunStoreError
from crane_bench.runtime.models import RunRecord, RunStatus
from crane_bench.runtime.service.store import Idempotency, check_fingerprint, interrupted

logger = logging.getLogger(__name__)

T = TypeVar("T")
Mode = Literal["read", "write", "alone"]
BUSY_TIMEOUT_S = 10.0  # how long a write waits for another process's transaction
MAX_BATCH = 256  # writes per group commit
SCHEMA = """
CREATE TABLE IF NOT EXISTS crane_runs (
    seq INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    owner TEXT NOT NULL,
    finished_seq INTEGER UNIQUE,
    idem_key TEXT UNIQUE,
    idem_fingerprint TEXT,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS crane_runs_status ON crane_runs (status, seq);
CREATE INDEX IF NOT EXISTS crane_runs_unfinished ON crane_runs (owner)
    WHERE finished_seq IS NULL;
"""


@dataclass
class _Job:
    """One call for the store's thread, and the future its caller awaits."""

    call: Callable[[], Any]
    future: asyncio.Future[Any]
    mode: Mode


class OwnerLocks:
    """Liveness locks: one `flock`ed file per open store, in a folder beside the database."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._held: int | None = None

    def _path(self, owner: str) -> Path:
        return self.folder / f"{owner}.lock"

    def hold(self, owner: str) -> None:
        """Take this store's own lock (a fresh owner id: nobody else has it)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path(owner), os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._held = fd

    def release(self, owner: str) -> None:
        """Drop this store's own lock and its file."""
        if self._held is None:
            return
        self._path(owner).unlink(missing_ok=True)
        os.close(self._held)
        self._held = None

    @contextlib.contextmanager
    def claim_if_dead(self, owner: str) -> Iterator[bool]:
        """Yield True, holding `owner`'s lock, when `owner` is dead; else yield False."""
        fd = os.open(self._path(owner), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False  # alive: it holds its lock
                return
            try:
                yield True
            finally:
                self._path(owner).unlink(missing_ok=True)
        finally:
            os.close(fd)


class SqliteRunStore:
    """Runs in a SQLite file (WAL), shared by the processes of one host.

    Args:
        path: The database file; its folder is created when missing.
        max_finished: How many finished runs to keep; the first finished go first.
        synchronous: SQLite's `synchronous` pragma: `normal` (a commit survives the
            process being killed) or `full` (and a power cut).
        owner: This store's owner id in the runs it writes; a fresh one when None.
    """

    def __init__(
        self,
        path: Path,
        max_finished: int = 10_000,
        *,
        synchronous: Literal["normal", "full"] = "normal",
        owner: str | None = None,
    ) -> None:
        if max_finished < 1:
            raise ValueError("max_finished must be at least 1")
        self.path = path
        self.max_finished = max_finished
        self.synchronous = synchronous
        self.owner = owner or uuid.uuid4().hex
        self.locks = OwnerLocks(path.with_name(path.name + ".owners"))
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = None

    # ---- the protocol ----

    async def open(self) -> int:
        """Open the file (WAL), create the table, take the liveness lock, mark dead runs.

        Returns:
            How many unfinished runs of dead owners were marked interrupted.
        """
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._serve, name=f"run-store-{self.owner[:8]}", daemon=True
            )
            self._thread.start()
            await self._call(self._open_sync, "alone")
        marked: int = await self._call(self._recover_sync, "alone")
        if marked:
            logger.warning("marked %d run(s) of stopped processes interrupted", marked)
        return marked

    async def close(self) -> None:
        """Close the connection, release the liveness lock, stop the thread."""
        thread = self._thread
        if thread is None:
            return
        await self._call(self._close_sync, "alone")
        self._jobs.put(None)
        await asyncio.to_thread(thread.join)
        self._thread = None

    async def create(self, run: RunRecord, idempotency: Idempotency | None = None) -> RunRecord:
        """Insert a new run, or return the kept run that holds its key."""
        text = run.model_dump_json()
        held: RunRecord = await self._call(
            lambda: self._create_sync(run, text, idempotency), "write"
        )
        return held

    async def put(self, run: RunRecord) -> None:
        """Insert or replace an unfinished run (a finished one through `finish`)."""
        if run.status.terminal:
            await self.finish(run)
            return
        text = run.model_dump_json()
        await self._call(lambda: self._put_sync(run, text), "write")

    async def finish(self, run: RunRecord) -> bool:
        """Record a finished run unless it finished before; evicts beyond the bound."""
        text = run.model_dump_json()
        written: bool = await self._call(lambda: self._finish_sync(run, text), "write")
        return written

    async def get(self, run_id: str) -> RunRecord | None:
        """The run, or None when it is unknown or was evicted."""

        def read() -> RunRecord | None:
            row = (
                self._db()
                .execute("SELECT record FROM crane_runs WHERE run_id = ?", (run_id,))
                .fetchone()
            )
            return None if row is None else RunRecord.model_validate_json(row[0])

        found: RunRecord | None = await self._call(read, "read")
        return found

    async def recent(self, *, limit: int, status: RunStatus | None = None) -> list[RunRecord]:
        """Up to `limit` runs, newest created first, optionally filtered by status."""
        if limit <= 0:
            return []

        def read() -> list[RunRecord]:
            args: tuple[object, ...]
            if status is None:
                sql, args = "SELECT record FROM crane_runs ORDER BY seq DESC LIMIT ?", (limit,)
            else:
                sql = "SELECT record FROM crane_runs WHERE status = ? ORDER BY seq DESC LIMIT ?"
                args = (status.value, limit)
            rows = self._db().execute(sql, args).fetchall()
            return [RunRecord.model_validate_json(row[0]) for row in rows]

        found: list[RunRecord] = await self._call(read, "read")
        return found

    # ---- on the store's thread ----

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RunStoreError("the run store is not open")
        return self._conn

    def _open_sync(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        try:
            # WAL is a property of the file: the first process sets it, the rest find it.
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(f"PRAGMA synchronous = {self.synchronous.upper()}")
            conn.executescript(SCHEMA)  # IF NOT EXISTS: every process may run it
            self.locks.hold(self.owner)
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def _close_sync(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self.locks.release(self.owner)

    def _create_sync(self, run: RunRecord, text: str, idempotency: Idempotency | None) -> RunRecord:
        conn = self._db()
        key = fingerprint = None
        if idempotency is not None:
            key, fingerprint = idempotency.key, idempotency.fingerprint
            row = conn.execute(
                "SELECT idem_fingerprint, record FROM crane_runs WHERE idem_key = ?", (key,)
            ).fetchone()
            if row is not None:
                check_fingerprint(idempotency, row[0])
                return RunRecord.model_validate_json(row[1])
        conn.execute(
            "INSERT INTO crane_runs (run_id, status, owner, idem_key, idem_fingerprint, record)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (run.run_id, run.status.value, self.owner, key, fingerprint, text),
        )
        return run

    def _put_sync(self, run: RunRecord, text: str) -> None:
        conn = self._db()
        changed = conn.execute(
            "UPDATE crane_runs SET status = ?, record = ? "
            "WHERE run_id = ? AND finished_seq IS NULL",
            (run.status.value, text, run.run_id),
        ).rowcount
        if changed:
            return
        if conn.execute("SELECT 1 FROM crane_runs WHERE run_id = ?", (run.run_id,)).fetchone():
            raise ValueError(f"run {run.run_id} already finished; it cannot become {run.status}")
        conn.execute(
            "INSERT INTO crane_runs (run_id, status, owner, record) VALUES (?, ?, ?, ?)",
            (run.run_id, run.status.value, self.owner, text),
        )

    def _finish_sync(self, run: RunRecord, text: str) -> bool:
        conn = self._db()
        row = conn.execute(
            "SELECT finished_seq FROM crane_runs WHERE run_id = ?", (run.run_id,)
        ).fetchone()
        if row is not None and row[0] is not None:
            return False  # already finished (a timeout and a cancel can race)
        # Finish order is dense (1, 2, 3...: writes are serialised), so the runs beyond
        # the bound are exactly those at or below `seq - max_finished`: one indexed delete.
        (seq,) = conn.execute(
            "SELECT COALESCE(MAX(finished_seq), 0) + 1 FROM crane_runs"
        ).fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO crane_runs (run_id, status, owner, finished_seq, record) "
                "VALUES (?, ?, ?, ?, ?)",
                (run.run_id, run.status.value, self.owner, seq, text),
            )
        else:
            conn.execute(
                "UPDATE crane_runs SET status = ?, finished_seq = ?, record = ? WHERE run_id = ?",
                (run.status.value, seq, text, run.run_id),
            )
        conn.execute("DELETE FROM crane_runs WHERE finished_seq <= ?", (seq - self.max_finished,))
        return True

    def _recover_sync(self) -> int:
        conn = self._db()
        owners = [
            owner
            for (owner,) in conn.execute(
                "SELECT DISTINCT owner FROM crane_runs WHERE finished_seq IS NULL AND owner != ?",
                (self.owner,),
            )
        ]
        marked = 0
        for owner in owners:
            with self.locks.claim_if_dead(owner) as dead:
                if not dead:
                    continue
                conn.execute("BEGIN IMMEDIATE")
                try:
                    rows = conn.execute(
                        "SELECT record FROM crane_runs WHERE owner = ? AND finished_seq IS NULL",
                        (owner,),
                    ).fetchall()
                    for (text,) in rows:
                        run = interrupted(RunRecord.model_validate_json(text))
                        marked += self._finish_sync(run, run.model_dump_json())
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
        return marked

    # ---- the thread and its queue ----

    def _call(self, call: Callable[[], T], mode: Mode) -> asyncio.Future[T]:
        if self._thread is None:
            raise RunStoreError("the run store is not open")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._jobs.put(_Job(call, future, mode))
        return future

    def _serve(self) -> None:
        stop = False
        while not stop:
            first = self._jobs.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    more = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            try:
                outcomes = self._run_batch(batch)
            except BaseException as exc:  # noqa: BLE001 - the thread must outlive any bug
                outcomes = [(job, None, exc) for job in batch]
            _settle(outcomes)

    def _run_batch(self, batch: list[_Job]) -> list[tuple[_Job, Any, BaseException | None]]:
        outcomes: list[tuple[_Job, Any, BaseException | None]] = []
        written: list[tuple[_Job, Any]] = []  # settled once their commit succeeded

        def commit() -> None:
            conn = self._conn
            if conn is None or not conn.in_transaction:
                return  # (no write began one, or the one that began it failed)
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                outcomes.extend((job, None, _store_error(exc)) for job, _ in written)
            else:
                outcomes.extend((job, value, None) for job, value in written)
            written.clear()

        for job in batch:
            if job.mode == "alone":
                commit()
                outcomes.append(_attempt(job))
            elif job.mode == "read":
                outcomes.append(_attempt(job))
            else:
                outcomes.extend(self._write(job, written))
        commit()
        return outcomes

    def _write(
        self, job: _Job, written: list[tuple[_Job, Any]]
    ) -> list[tuple[_Job, Any, BaseException | None]]:
        """Run one write in the open group transaction (begun here if none is)."""
        try:
            conn = self._db()
            if not conn.in_transaction:
                conn.execute("BEGIN IMMEDIATE")
            conn.execute("SAVEPOINT job")
        except (sqlite3.Error, RunStoreError) as exc:
            return [(job, None, _store_error(exc))]
        try:
            value = job.call()
        except Exception as exc:  # noqa: BLE001 - handed to the caller that awaits it
            conn.execute("ROLLBACK TO job")
            conn.execute("RELEASE job")
            return [(job, None, _store_error(exc))]
        conn.execute("RELEASE job")
        written.append((job, value))
        return []


def _attempt(job: _Job) -> tuple[_Job, Any, BaseException | None]:
    try:
        return job, job.call(), None
    except Exception as exc:  # noqa: BLE001 - handed to the caller that awaits it
        return job, None, _store_error(exc)


def _store_error(exc: BaseException) -> BaseException:
    """A database error as `RunStoreError`; anything else (a refusal) as it is."""
    if isinstance(exc, sqlite3.Error):
        error = RunStoreError(f"run store (SQLite): {exc}")
        error.__cause__ = exc
        return error
    return exc


def _settle(outcomes: list[tuple[_Job, Any, BaseException | None]]) -> None:
    """Hand each outcome to its awaiting future, on that future's loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Job, Any, BaseException | None]]] = {}
    for outcome in outcomes:
        by_loop.setdefault(outcome[0].future.get_loop(), []).append(outcome)
    for loop, items in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits any more
            loop.call_soon_threadsafe(_resolve, items)


def _resolve(items: list[tuple[_Job, Any, BaseException | None]]) -> None:
    for job, value, error in items:
        if job.future.done():  # the caller was cancelled
            continue
        if error is None:
            job.future.set_result(value)
        else:
            job.future.set_exception(error)
