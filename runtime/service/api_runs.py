"""`/api/v1/runs`: submit a run, read one, list recent ones."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response, status

from crane_bench.runtime.models import RunRecord, RunStatus
from crane_bench.runtime.service.deps import ExecutorDep, StoreDep
from crane_bench.runtime.service.schemas import (
    CreateRunRequest,
    ErrorResponse,
    RunAccepted,
    RunList,
    RunSummary,
)

PREFIX = "/api/v1/runs"
ID_ECHO_LIMIT = 64  # characters of an unknown run id that a 404 repeats back
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "model": ErrorResponse,
        "description": "The body could not be parsed (not UTF-8, or nested too deeply), or "
        "its setup needs a tool this server does not have.",
    },
    409: {"model": ErrorResponse, "description": "The planner is not available on this server."},
    413: {
        "model": ErrorResponse,
        "description": "The body is larger than the server's limit (SERVICE_MAX_BODY_BYTES).",
    },
    503: {"model": ErrorResponse, "description": "Too many runs in flight, or shutting down."},
}

router = APIRouter(prefix=PREFIX, tags=["runs"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RunAccepted | RunRecord,
    responses=ERRORS,
    summary="Submit a run",
)
async def create_run(
    body: CreateRunRequest,
    response: Response,
    executor: ExecutorDep,
    wait: Annotated[
        bool,
        Query(description="Answer with the finished run instead of at once (bounded by the "
              "run timeout)."),
    ] = False,
) -> RunAccepted | RunRecord:  # fmt: skip
    """Start a run in the background and answer `{run_id, status}` at once.

    `setup` gives the state the run's tools start in (todos created in order, ids 1..n),
    as a gold case's `setup` does; without it every run starts from empty tools.

    With `?wait=true` the answer is the finished run (completed or failed), at most
    one run timeout later. A planner the server did not open is a 409: the server
    opens `llm` and `hybrid` only when started with one of them or when an LLM
    endpoint (`OPENAI_BASE_URL` or `OPENAI_API_KEY`) is configured.
    """
    todos = body.setup.todos if body.setup is not None else ()
    run = await executor.submit(body.prompt, body.planner, todos=todos)
    response.headers["Location"] = f"{PREFIX}/{run.run_id}"
    if not wait:
        return RunAccepted(run_id=run.run_id, status=run.status)
    # The pending record only if the run is unknown by then, which a fresh run cannot be.
    return await executor.wait(run.run_id) or run


@router.get(
    "/{run_id}",
    response_model=RunRecord,
    responses={404: {"model": ErrorResponse, "description": "No run with that id."}},
    summary="Read a run",
)
async def get_run(run_id: str, store: StoreDep) -> RunRecord:
    """The run: plan, steps with attempts and durations, output or error, planner metadata."""
    run = await store.get(run_id)
    if run is None:
        shown = run_id if len(run_id) <= ID_ECHO_LIMIT else run_id[:ID_ECHO_LIMIT] + "..."
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"no run {shown!r}: unknown id, or evicted (only the newest finished runs are kept)",
        )
    return run


@router.get("", response_model=RunList, summary="List recent runs")
async def list_runs(
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many runs.")] = 20,
    run_status: Annotated[
        RunStatus | None, Query(alias="status", description="Only runs with this status.")
    ] = None,
) -> RunList:
    """Recent runs, newest first, as summaries."""
    runs = await store.recent(limit=limit, status=run_status)
    return RunList(runs=[RunSummary.of(run) for run in runs], count=len(runs))
