"""Kill the service (SIGKILL) in the middle of a burst of submissions, start it again.

Every run that got its 201 must be found afterwards, finished or failed `interrupted`
(its process died with it unfinished), and none may be duplicated: each submission
carries an `Idempotency-Key`, and sending every key again after the restart must give
back the run it made, if any, and never a second one. With a SQLite file, one worker
and two; with a PostgreSQL server the test starts. The figures are printed (`-s`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.postgres_server import PostgresServer, find_binaries
from tests.runtime.service.served import RUNS, SLOW, Burst, Served, served, submit_burst

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

TOTAL = 90
KILL_AFTER = 40


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    binaries = find_binaries()
    if isinstance(binaries, str):
        pytest.skip(binaries)
    with PostgresServer(binaries) as server:
        yield server.url


async def check_after_restart(service: Served, burst: Burst, label: str) -> None:
    """Every 201 found, finished or interrupted; every key sent again gives one run."""
    async with httpx.AsyncClient(base_url=service.url, timeout=30) as client:
        found: dict[str, dict[str, Any]] = {}
        for key, run_id in burst.accepted.items():
            answer = await client.get(f"{RUNS}/{run_id}")
            assert answer.status_code == 200, f"{label}: run {run_id} got 201, now {answer}"
            found[key] = answer.json()
        replayed = made_before = 0
        for key, body in burst.bodies.items():
            again = await client.post(RUNS, json=body, headers={"Idempotency-Key": key})
            assert again.status_code == 201, again.text
            if key in burst.accepted:
                assert again.json()["run_id"] == burst.accepted[key]
                assert again.headers["Idempotent-Replayed"] == "true"
                replayed += 1
            elif again.headers.get("Idempotent-Replayed") == "true":
                made_before += 1  # created, its 201 lost in the kill
        listed = (await client.get(RUNS, params={"limit": 1000})).json()["runs"]
    statuses = {
        key: (run["status"], (run["error"] or {}).get("kind")) for key, run in found.items()
    }
    completed = sum(1 for status, _ in statuses.values() if status == "completed")
    interrupted = sum(1 for status in statuses.values() if status == ("failed", "interrupted"))
    slow = [key for key in found if burst.bodies[key]["prompt"] == SLOW]
    ids = [run["run_id"] for run in listed]
    duplicated = len(ids) - len(burst.bodies)
    print(
        f"\n{label} kill-restart: submitted {len(burst.bodies)}, 201 {len(burst.accepted)}, "
        f"found {len(found)} (completed {completed}, interrupted {interrupted}), "
        f"duplicated {duplicated}; answers lost in the kill {len(burst.unanswered)}, "
        f"of which already made {made_before}; replayed {replayed}"
    )
    assert len(found) == len(burst.accepted) >= KILL_AFTER
    assert completed + interrupted == len(found), statuses
    assert slow, "some slow runs were in flight at the kill"
    assert all(statuses[key] == ("failed", "interrupted") for key in slow)
    assert len(set(ids)) == len(ids)
    assert duplicated == 0


def kill_and_restart(tmp_path: Path, label: str, store_url: str, workers: int) -> None:
    with served(tmp_path / "first.log", store_url=store_url, workers=workers) as first:
        burst = asyncio.run(submit_burst(first, total=TOTAL, kill_after=KILL_AFTER))
        assert first.process.poll() is not None, "the service was killed"
    with served(tmp_path / "second.log", store_url=store_url, workers=workers) as second:
        asyncio.run(check_after_restart(second, burst, label))


def test_sqlite_one_worker(tmp_path: Path) -> None:
    kill_and_restart(tmp_path, "sqlite, 1 worker", f"sqlite:///{tmp_path}/runs.db", 1)


def test_sqlite_two_workers(tmp_path: Path) -> None:
    kill_and_restart(tmp_path, "sqlite, 2 workers", f"sqlite:///{tmp_path}/runs.db", 2)


def test_postgresql_two_workers(tmp_path: Path, postgres_url: str) -> None:
    kill_and_restart(tmp_path, "postgresql, 2 workers", postgres_url, 2)
