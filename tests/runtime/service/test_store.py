"""The run stores against one contract: in memory, SQLite, and a real PostgreSQL server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crane_bench.runtime.errors import IdempotencyKeyReusedError
from crane_bench.runtime.models import RunRecord, RunStatus
from crane_bench.runtime.service import (
    Idempotency,
    InMemoryRunStore,
    PostgresRunStore,
    RunStore,
    SqliteRunStore,
)
from tests.postgres_server import PostgresServer, find_binaries

MakeStore = Callable[[int], RunStore]


def record(run_id: str, status: RunStatus = RunStatus.COMPLETED) -> RunRecord:
    return RunRecord(run_id=run_id, prompt="p", status=status, created_at=datetime.now(UTC))


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    binaries = find_binaries()
    if isinstance(binaries, str):
        pytest.skip(binaries)
    with PostgresServer(binaries) as server:
        yield server.url


async def drop_table(url: str) -> None:
    import psycopg  # noqa: PLC0415

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("DROP TABLE IF EXISTS crane_runs")


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]
)
async def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[MakeStore]:
    """Opens stores of one kind on one database (each test gets a fresh database)."""
    made: list[RunStore] = []

    def make(max_finished: int = 10_000) -> RunStore:
        store: RunStore
        if request.param == "memory":
            store = InMemoryRunStore(max_finished)
        elif request.param == "sqlite":
            store = SqliteRunStore(tmp_path / "db" / "runs.db", max_finished)
        else:
            store = PostgresRunStore(request.getfixturevalue("postgres_url"), max_finished)
        made.append(store)
        return store

    if request.param == "postgresql":
        await drop_table(request.getfixturevalue("postgres_url"))
    yield make
    for store in made:
        await store.close()


async def opened(make: MakeStore, max_finished: int = 10_000) -> RunStore:
    store = make(max_finished)
    assert await store.open() == 0
    return store


def test_every_store_satisfies_the_protocol(tmp_path: Path) -> None:
    for store in (
        InMemoryRunStore(),
        SqliteRunStore(tmp_path / "r.db"),
        PostgresRunStore("postgresql://nowhere/db"),
    ):
        assert isinstance(store, RunStore)


async def test_put_replaces_and_get_reads(make_store: MakeStore) -> None:
    store = await opened(make_store)
    await store.create(record("a", RunStatus.PENDING))
    await store.put(record("a", RunStatus.RUNNING))
    run = await store.get("a")
    assert run is not None
    assert run.status == "running"
    assert await store.get("b") is None


async def test_only_the_newest_finished_runs_are_kept_but_no_unfinished_run_is_lost(
    make_store: MakeStore,
) -> None:
    store = await opened(make_store, max_finished=2)
    await store.create(record("running", RunStatus.RUNNING))
    for name in ("f1", "f2", "f3"):
        await store.create(record(name, RunStatus.PENDING))
        assert await store.finish(record(name))
    assert await store.get("f1") is None
    assert [r.run_id for r in await store.recent(limit=10)] == ["f3", "f2", "running"]
    assert [r.run_id for r in await store.recent(limit=9, status=RunStatus.RUNNING)] == ["running"]


async def test_eviction_follows_finish_order_not_creation_order(make_store: MakeStore) -> None:
    store = await opened(make_store, max_finished=1)
    await store.create(record("old", RunStatus.RUNNING))
    await store.create(record("new", RunStatus.RUNNING))
    await store.finish(record("new"))
    await store.finish(record("old"))  # finishes last, so "new" goes
    assert await store.get("new") is None
    assert await store.get("old") is not None


async def test_recent_filters_by_status_and_limit(make_store: MakeStore) -> None:
    store = await opened(make_store)
    for i in range(5):
        await store.create(record(f"c{i}", RunStatus.PENDING))
        await store.finish(record(f"c{i}"))
    await store.create(record("x", RunStatus.PENDING))
    await store.finish(record("x", RunStatus.FAILED))
    assert [r.run_id for r in await store.recent(limit=2)] == ["x", "c4"]
    assert [r.run_id for r in await store.recent(limit=9, status=RunStatus.FAILED)] == ["x"]
    assert await store.recent(limit=0) == []


async def test_a_run_finishes_once_and_cannot_go_back(make_store: MakeStore) -> None:
    store = await opened(make_store)
    await store.create(record("a", RunStatus.PENDING))
    assert await store.finish(record("a"))
    assert not await store.finish(record("a", RunStatus.FAILED))  # the first end stands
    run = await store.get("a")
    assert run is not None
    assert run.status == "completed"
    with pytest.raises(ValueError, match="already finished"):
        await store.put(record("a", RunStatus.RUNNING))


async def test_a_key_gives_back_its_run_and_refuses_another_body(make_store: MakeStore) -> None:
    store = await opened(make_store)
    key = Idempotency("k-1", "body-1")
    first = await store.create(record("a", RunStatus.PENDING), key)
    again = await store.create(record("b", RunStatus.PENDING), key)
    assert first.run_id == again.run_id == "a"
    assert await store.get("b") is None
    with pytest.raises(IdempotencyKeyReusedError, match="different request body"):
        await store.create(record("c", RunStatus.PENDING), Idempotency("k-1", "body-2"))
    other = await store.create(record("d", RunStatus.PENDING), Idempotency("k-2", "body-1"))
    assert other.run_id == "d"


async def test_concurrent_submissions_with_one_key_make_one_run(make_store: MakeStore) -> None:
    store = await opened(make_store)
    key = Idempotency("same", "body")
    held = await asyncio.gather(
        *(store.create(record(f"r{i}", RunStatus.PENDING), key) for i in range(20))
    )
    assert len({run.run_id for run in held}) == 1
    assert len(await store.recent(limit=100)) == 1


async def test_an_evicted_run_frees_its_key(make_store: MakeStore) -> None:
    store = await opened(make_store, max_finished=1)
    key = Idempotency("k", "body")
    await store.create(record("a", RunStatus.PENDING), key)
    await store.finish(record("a"))
    await store.create(record("b", RunStatus.PENDING))
    await store.finish(record("b"))  # evicts "a", and its key with it
    assert (await store.create(record("c", RunStatus.PENDING), key)).run_id == "c"


@pytest.mark.parametrize(
    "kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]
)
async def test_runs_outlive_the_store_and_a_dead_owners_runs_are_interrupted(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    def make() -> SqliteRunStore | PostgresRunStore:
        if kind == "sqlite":
            return SqliteRunStore(tmp_path / "runs.db")
        return PostgresRunStore(request.getfixturevalue("postgres_url"))

    if kind == "postgresql":
        await drop_table(request.getfixturevalue("postgres_url"))
    dead, alive, later = make(), make(), make()
    await dead.open()
    await alive.open()
    await dead.create(record("done", RunStatus.PENDING))
    await dead.finish(record("done"))
    await dead.create(record("cut-short", RunStatus.PENDING))
    await dead.put(record("cut-short", RunStatus.RUNNING))
    await alive.create(record("still-going", RunStatus.RUNNING))
    await dead.close()  # closed without finishing its run: as if it had died
    try:
        # PostgreSQL ends the closed session (and frees its lock) a moment later.
        marked = await later.open()
        for _ in range(50):
            if marked:
                break
            await asyncio.sleep(0.1)
            marked = await later.open()
        assert marked == 1
        cut = await later.get("cut-short")
        assert cut is not None
        assert cut.status == "failed"
        assert cut.error is not None
        assert cut.error.kind == "interrupted"
        assert "not run again" in cut.error.message
        kept = await later.get("done")
        assert kept is not None
        assert kept.status == "completed"
        going = await later.get("still-going")
        assert going is not None
        assert going.status == "running"  # its owner is alive
    finally:
        await alive.close()
        await later.close()


async def test_a_store_that_is_not_open_says_so(tmp_path: Path) -> None:
    from crane_bench.runtime.errors import RunStoreError  # noqa: PLC0415

    with pytest.raises(RunStoreError, match="not open"):
        await SqliteRunStore(tmp_path / "r.db").get("x")


def test_the_bound_must_be_positive(tmp_path: Path) -> None:
    for make in (
        lambda: InMemoryRunStore(max_finished=0),
        lambda: SqliteRunStore(tmp_path / "r.db", max_finished=0),
        lambda: PostgresRunStore("postgresql://x/y", max_finished=0),
    ):
        with pytest.raises(ValueError, match="at least 1"):
            make()
