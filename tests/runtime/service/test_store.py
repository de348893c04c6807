"""The bounded in-memory run store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crane_bench.runtime.models import RunRecord, RunStatus
from crane_bench.runtime.service import InMemoryRunStore, RunStore


def record(run_id: str, status: RunStatus = RunStatus.COMPLETED) -> RunRecord:
    return RunRecord(run_id=run_id, prompt="p", status=status, created_at=datetime.now(UTC))


def test_it_satisfies_the_protocol() -> None:
    assert isinstance(InMemoryRunStore(), RunStore)


async def test_put_replaces_and_get_reads() -> None:
    store = InMemoryRunStore()
    await store.put(record("a", RunStatus.PENDING))
    await store.put(record("a", RunStatus.RUNNING))
    run = await store.get("a")
    assert run is not None
    assert run.status == "running"
    assert await store.get("b") is None


async def test_only_the_newest_finished_runs_are_kept_but_no_unfinished_run_is_lost() -> None:
    store = InMemoryRunStore(max_finished=2)
    await store.put(record("running", RunStatus.RUNNING))
    for name in ("f1", "f2", "f3"):
        await store.put(record(name))
    assert await store.get("f1") is None
    assert [r.run_id for r in await store.recent(limit=10)] == ["f3", "f2", "running"]
    assert [r.run_id for r in await store.recent(limit=9, status=RunStatus.RUNNING)] == ["running"]
    assert len(store) == 3


async def test_eviction_follows_finish_order_not_creation_order() -> None:
    store = InMemoryRunStore(max_finished=1)
    await store.put(record("old", RunStatus.RUNNING))
    await store.put(record("new"))
    await store.put(record("old"))  # finishes last, so "new" goes
    assert await store.get("new") is None
    assert await store.get("old") is not None


async def test_recent_filters_by_status_and_limit() -> None:
    store = InMemoryRunStore()
    for i in range(5):
        await store.put(record(f"c{i}"))
    await store.put(record("x", RunStatus.FAILED))
    assert [r.run_id for r in await store.recent(limit=2)] == ["x", "c4"]
    assert [r.run_id for r in await store.recent(limit=9, status=RunStatus.FAILED)] == ["x"]
    assert await store.recent(limit=0) == []


async def test_a_finished_run_cannot_go_back() -> None:
    store = InMemoryRunStore()
    await store.put(record("a"))
    with pytest.raises(ValueError, match="already finished"):
        await store.put(record("a", RunStatus.RUNNING))


def test_the_bound_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        InMemoryRunStore(max_finished=0)
