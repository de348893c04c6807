"""The PostgreSQL run store: one table shared by service processes on any number of hosts.

psycopg 3 (the `postgres` extra) with an async connection pool. Every write is its own
transaction, committed before the call returns. Finishing a run takes a transaction
advisory lock, so finish order stays dense (1, 2, 3...) across hosts and the runs beyond
the bound are one indexed delete away, as in the SQLite store.

Liveness: each open store holds a session advisory lock, keyed by its owner id, on a
connection of its own. PostgreSQL releases it when that connection ends, which happens
when the process dies (a host that vanishes is noticed when the server's TCP keepalive
gives up on it: `tcp_keepalives_idle`). A store that can take another owner's lock knows
that owner is gone and marks its unfinished runs interrupted.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from crane_bench.runtime.errors import RunStoreError
from crane_bench.runtime.models import RunRecord, RunStatus
from crane_bench.runtime.service.store import Idempotency, check_fingerprint, interrupted

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import AsyncConnectionPool

logger = logging.getLogger(__name__)

POOL_SIZE = 4  # connections per process; a write holds one for one short transaction
CONNECT_TIMEOUT_S = 10.0
SCHEMA_LOCK = 0x6372616E65_0001  # advisory lock keys of this store ("crane" + n)
FINISH_LOCK = 0x6372616E65_0002
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS crane_runs (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL,
        owner TEXT NOT NULL,
        finished_seq BIGINT UNIQUE,
        idem_key TEXT UNIQUE,
        idem_fingerprint TEXT,
        record TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS crane_runs_status ON crane_runs (status, seq)",
    "CREATE INDEX IF NOT EXISTS crane_runs_unfinished ON crane_runs (owner) "
    "WHERE finished_seq IS NULL",
)


def owner_lock_key(owner: str) -> int:
    """The advisory lock key (a signed 64-bit integer) of an owner id."""
    digest = hashlib.blake2b(f"crane-bench run owner {owner}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresRunStore:
    """Runs in a PostgreSQL table (`crane_runs`), shared by every host that uses it.

    Args:
        url: A libpq connection URL (`postgresql://user:password@host:port/db`).
        max_finished: How many finished runs to keep; the first finished go first.
        owner: This store's owner id in the runs it writes; a fresh one when None.
    """

    def __init__(self, url: str, max_finished: int = 10_000, *, owner: str | None = None) -> None:
        if max_finished < 1:
            raise ValueError("max_finished must be at least 1")
        self.url = url
        self.max_finished = max_finished
        self.owner = owner or uuid.uuid4().hex
        self._pool: AsyncConnectionPool | None = None
        self._alive: psycopg.AsyncConnection | None = None  # holds the liveness lock

    async def open(self) -> int:
        """Connect, create the table, take the liveness lock, mark dead owners' runs.

        Returns:
            How many unfinished runs of dead owners were marked interrupted.
        """
        import psycopg  # noqa: PLC0415 - an optional extra
        from psycopg_pool import AsyncConnectionPool  # noqa: PLC0415

        if self._pool is None:
            try:
                alive = await psycopg.AsyncConnection.connect(
                    self.url, autocommit=True, connect_timeout=int(CONNECT_TIMEOUT_S)
                )
                await alive.execute("SELECT pg_advisory_lock(%s)", (owner_lock_key(self.owner),))
                pool = AsyncConnectionPool(
                    self.url, min_size=1, max_size=POOL_SIZE, open=False, name="crane-runs"
                )
                await pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
            except Exception as exc:
                raise _store_error(exc) from exc
            self._alive, self._pool = alive, pool
            async with self._transaction() as conn:
                await conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                for statement in SCHEMA:
                    await conn.execute(statement)
        marked = await self._recover()
        if marked:
            logger.warning("marked %d run(s) of stopped processes interrupted", marked)
        return marked

    async def close(self) -> None:
        """Close the pool and the liveness connection (which releases the lock)."""
        pool, alive = self._pool, self._alive
        self._pool = self._alive = None
        if pool is not None:
            await pool.close()
        if alive is not None:
            await alive.close()

    async def create(self, run: RunRecord, idempotency: Idempotency | None = None) -> RunRecord:
        """Insert a new run, or return the kept run that holds its key."""
        key = idempotency.key if idempotency else None
        fingerprint = idempotency.fingerprint if idempotency else None
        async with self._transaction() as conn:
            inserted = await conn.execute(
                "INSERT INTO crane_runs (run_id, status, owner, idem_key, idem_fingerprint, record)"
                " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (idem_key) DO NOTHING",
                (run.run_id, run.status.value, self.owner, key, fingerprint, run.model_dump_json()),
            )
            if inserted.rowcount or idempotency is None:
                return run
            row = await (
                await conn.execute(
                    "SELECT idem_fingerprint, record FROM crane_runs WHERE idem_key = %s", (key,)
                )
            ).fetchone()
        if row is None:  # pragma: no cover - evicted between the two statements
            raise RunStoreError("the run holding this Idempotency-Key was just evicted; retry")
        check_fingerprint(idempotency, row[0])
        return RunRecord.model_validate_json(row[1])

    async def put(self, run: RunRecord) -> None:
        """Insert or replace an unfinished run (a finished one through `finish`)."""
        if run.status.terminal:
            await self.finish(run)
            return
        text = run.model_dump_json()
        async with self._transaction() as conn:
            changed = await conn.execute(
                "UPDATE crane_runs SET status = %s, record = %s "
                "WHERE run_id = %s AND finished_seq IS NULL",
                (run.status.value, text, run.run_id),
            )
            if changed.rowcount:
                return
            inserted = await conn.execute(
                "INSERT INTO crane_runs (run_id, status, owner, record) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (run_id) DO NOTHING",
                (run.run_id, run.status.value, self.owner, text),
            )
        if not inserted.rowcount:
            raise ValueError(f"run {run.run_id} already finished; it cannot become {run.status}")

    async def finish(self, run: RunRecord) -> bool:
        """Record a finished run unless it finished before; evicts beyond the bound."""
        async with self._transaction() as conn:
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (FINISH_LOCK,))
            return await self._finish_in(conn, run)

    async def get(self, run_id: str) -> RunRecord | None:
        """The run, or None when it is unknown or was evicted."""
        async with self._transaction() as conn:
            cursor = await conn.execute(
                "SELECT record FROM crane_runs WHERE run_id = %s", (run_id,)
            )
            row = await cursor.fetchone()
        return None if row is None else RunRecord.model_validate_json(row[0])

    async def recent(self, *, limit: int, status: RunStatus | None = None) -> list[RunRecord]:
        """Up to `limit` runs, newest created first, optionally filtered by status."""
        if limit <= 0:
            return []
        async with self._transaction() as conn:
            if status is None:
                cursor = await conn.execute(
                    "SELECT record FROM crane_runs ORDER BY seq DESC LIMIT %s", (limit,)
                )
            else:
                cursor = await conn.execute(
                    "SELECT record FROM crane_runs WHERE status = %s ORDER BY seq DESC LIMIT %s",
                    (status.value, limit),
                )
            rows = await cursor.fetchall()
        return [RunRecord.model_validate_json(row[0]) for row in rows]

    async def _finish_in(self, conn: psycopg.AsyncConnection, run: RunRecord) -> bool:
        """Finish `run` in `conn`'s transaction, which holds `FINISH_LOCK`."""
        cursor = await conn.execute(
            "SELECT finished_seq FROM crane_runs WHERE run_id = %s", (run.run_id,)
        )
        row = await cursor.fetchone()
        if row is not None and row[0] is not None:
            return False
        cursor = await conn.execute("SELECT COALESCE(MAX(finished_seq), 0) + 1 FROM crane_runs")
        seq_row = await cursor.fetchone()
        seq = int(seq_row[0]) if seq_row else 1
        text = run.model_dump_json()
        if row is None:
            await conn.execute(
                "INSERT INTO crane_runs (run_id, status, owner, finished_seq, record) "
                "VALUES (%s, %s, %s, %s, %s)",
                (run.run_id, run.status.value, self.owner, seq, text),
            )
        else:
            await conn.execute(
                "UPDATE crane_runs SET status = %s, finished_seq = %s, record = %s "
                "WHERE run_id = %s",
                (run.status.value, seq, text, run.run_id),
            )
        await conn.execute(
            "DELETE FROM crane_runs WHERE finished_seq <= %s", (seq - self.max_finished,)
        )
        return True

    async def _recover(self) -> int:
        async with self._transaction() as conn:
            cursor = await conn.execute(
                "SELECT DISTINCT owner FROM crane_runs WHERE finished_seq IS NULL AND owner <> %s",
                (self.owner,),
            )
            owners = [owner for (owner,) in await cursor.fetchall()]
        marked = 0
        for owner in owners:
            async with self._transaction() as conn:
                # Held until this transaction ends; refused while the owner's session lives.
                cursor = await conn.execute(
                    "SELECT pg_try_advisory_xact_lock(%s)", (owner_lock_key(owner),)
                )
                got = await cursor.fetchone()
                if not got or not got[0]:
                    continue
                await conn.execute("SELECT pg_advisory_xact_lock(%s)", (FINISH_LOCK,))
                cursor = await conn.execute(
                    "SELECT record FROM crane_runs WHERE owner = %s AND finished_seq IS NULL",
                    (owner,),
                )
                for (text,) in await cursor.fetchall():
                    marked += await self._finish_in(
                        conn, interrupted(RunRecord.model_validate_json(text))
                    )
        return marked

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[psycopg.AsyncConnection]:
        """A pooled connection in a transaction, committed at the end; errors as ours."""
        import psycopg  # noqa: PLC0415
        from psycopg_pool import PoolTimeout  # noqa: PLC0415

        if self._pool is None:
            raise RunStoreError("the run store is not open")
        try:
            async with self._pool.connection() as conn:
                yield conn
        except (psycopg.Error, PoolTimeout) as exc:
            raise _store_error(exc) from exc


def _store_error(exc: BaseException) -> RunStoreError:
    """A driver error as one line, without the URL (it may hold a password)."""
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return RunStoreError(f"run store (PostgreSQL): {detail}")
