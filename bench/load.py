"""Load benchmark: the service under locust beside a bare FastAPI app, same setup, same run.

Both sides run the `calculator` scenario of `load/scenarios/` through `load.run_load`:
50 FastHttpUsers, closed loop, about 12 s each, one uvicorn worker. The bare app
answers the same routes (`POST /api/v1/runs` then `GET /api/v1/runs/{id}`) with
validated JSON and does nothing else, so the ratio says what planning, executing,
storing and counting a run cost on top of FastAPI and uvicorn. Locust and the server
share the machine's cores: the generator's CPU is printed beside the numbers.
"""

from __future__ import annotations

import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field
from rich.console import Console

from bench.figures import Figure, print_figures
from crane_bench.load import LoadConfig, LoadSummary, run_load

ROOT = Path(__file__).resolve().parent.parent
USERS = 50
RUN_TIME_S = 12.0
CRANE = "crane_bench.runtime.service.app:create_app_from_env"
BARE = "bench.load:bare_app"


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prompt: str = Field(min_length=1, max_length=2000)
    planner: str | None = None


class RunOut(BaseModel):
    run_id: str
    status: str


def bare_app() -> FastAPI:
    """The baseline: the runs API's shape, validated JSON in and out, no work."""
    app = FastAPI()

    @app.post("/api/v1/runs", status_code=201, response_model=RunOut)
    async def submit(body: RunIn) -> RunOut:
        return RunOut(run_id=uuid.uuid4().hex, status="pending")

    @app.get("/api/v1/runs/{run_id}", response_model=RunOut)
    async def read(run_id: str) -> RunOut:
        return RunOut(run_id=run_id, status="completed")

    @app.get("/api/v1/health/readiness")
    async def readiness() -> dict[str, str]:
        return {"status": "ready"}

    return app


def _uvicorn(target: str) -> Callable[[int], list[str]]:
    def command(port: int) -> list[str]:
        return [
            sys.executable, "-m", "uvicorn", target, "--factory", "--workers", "1",
            "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
            "--log-level", "warning",
        ]  # fmt: skip

    return command


def measure(target: str, out: Path) -> LoadSummary:
    """Serve `target` and run the calculator scenario against it."""
    config = LoadConfig(
        scenario="calculator",
        users=USERS,
        spawn_rate=USERS,  # everyone within the first second
        run_time_s=RUN_TIME_S,
        failing_share=0.0,  # the bare app cannot fail a run; keep both sides alike
        planners=(),
    )
    env = {"PLANNER": "pattern", "PYTHONPATH": str(ROOT)}
    return run_load(config, out, service=_uvicorn(target), service_env=env)


def main(console: Console) -> None:
    """Measure both sides and print the figures."""
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        bare = measure(BARE, Path(tmp) / "bare")
        crane = measure(CRANE, Path(tmp) / "crane")
    b_http, c_http = bare.requests.http, crane.requests.http
    b_run, c_run = bare.requests.group("RUN"), crane.requests.group("RUN")
    ratio = c_http.requests_per_s / b_http.requests_per_s if b_http.requests_per_s else 0.0
    cpu_note = "while loading the service"
    if crane.service_cpu is not None:
        cpu_note += f"; the service used {crane.service_cpu.cores_used:.2f}"
    setup = f"{USERS} users, {RUN_TIME_S:g} s, closed loop, calculator scenario"
    figures = [
        Figure("bare FastAPI: HTTP requests", b_http.requests_per_s, "req/s", "", setup),
        Figure("service: HTTP requests", c_http.requests_per_s, "req/s", "", "pattern planner"),
        Figure("service / bare", ratio, "ratio", ">= 0.5", "same locust and uvicorn setup"),
        Figure("bare RUN p95", (b_run.p95_ms if b_run else None) or 0.0, "ms", "", "submit+poll"),
        Figure("service RUN p95", (c_run.p95_ms if c_run else None) or 0.0, "ms"),
        Figure("service runs", c_run.requests_per_s if c_run else 0.0, "runs/s"),
        Figure("load generator CPU", crane.generator_cpu.cores_used, "cores", "", cpu_note),
        Figure("failed requests", b_http.failures + c_http.failures, "count", "0", "both sides"),
    ]
    print_figures(console, "load (locust)", figures)


if __name__ == "__main__":
    main(Console())
