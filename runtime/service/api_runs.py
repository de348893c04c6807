"""`/api/v1/runs`: submit a run, read one, list recent ones."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Response, status
from fastapi.responses import JSONResponse

from crane_bench.runtime.models import RunRecord, RunStatus
from crane_bench.runtime.service.deps import ExecutorDep, StoreDep
from crane_bench.runtime.service.executor import shutdown_cancelled
from crane_bench.runtime.service.schemas import (
    CreateRunRequest,
    ErrorResponse,
    RunAccepted,
    RunList,
    RunSummary,
)
from crane_bench.runtime.service.store import Idempotency

PREFIX = "/api/v1/runs"
ID_ECHO_LIMIT = 64  # characters of an unknown run id that a 404 repeats back
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "model": ErrorResponse,
        "description": "The body could not be parsed (not UTF-8, or nested too deeply), or "
        "its setup needs a tool this server does not have.",
    },
    409: {
        "model": ErrorResponse,
        "description": "The planner is not available on this server, or the "
        "`Idempotency-Key` holds a run that was submitted with another body.",
    },
    413: {
        "model": ErrorResponse,
        "description": "The body is larger than the server's limit (SERVICE_MAX_BODY_BYTES).",
    },
    503: {
        "model": ErrorResponse,
        "description": "Too many runs in flight, shutting down, or the run store failed. A "
        "`?wait=true` request whose run the shutdown cut short gets `run_id` too: the run is "
        "recorded (failed, `cancelled`).",
    },
}
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]+$"  # visible ASCII, as in an HTTP header token

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
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key", min_length=1, max_length=255,
            pattern=IDEMPOTENCY_KEY_PATTERN,
            description="A key of the client's (a UUID, say) that makes a retry safe: the "
            "same key and body give back the run the first request made (201, with "
            "`Idempotent-Replayed: true`), never a second run; the same key with another "
            "body is a 409. Kept as long as its run is.",
        ),
    ] = None,
) -> RunAccepted | RunRecord | JSONResponse:  # fmt: skip
    """Start a run in the background and answer `{run_id, status}` at once.

    The run is in the store before the answer, so a run that got its 201 survives a
    crash of the service (it is then marked failed, `interrupted`).

    `setup` gives the state the run's tools start in (todos created in order, ids 1..n),
    as a gold case's `setup` does; without it every run starts from empty tools.

    With `?wait=true` the answer is the finished run (completed or failed), at most
    one run timeout later; if the service shuts down first, a 503 naming the run. A
    planner the server did not open is a 409: the server opens `llm` and `hybrid` only
    when started with one of them or when an LLM endpoint (`OPENAI_BASE_URL` or
    `OPENAI_API_KEY`) is configured.
    """
    todos = body.setup.todos if body.setup is not None else ()
    idempotency = None
    if idempotency_key is not None:
        digest = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
        idempotency = Idempotency(idempotency_key, digest)
    submission = await executor.submit(
        body.prompt, body.planner, todos=todos, idempotency=idempotency
    )
    run = submission.run
    location = f"{PREFIX}/{run.run_id}"
    response.headers["Location"] = location
    if submission.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    if not wait:
        return RunAccepted(run_id=run.run_id, status=run.status)
    # The pending record only if the run is unknown by then, which a fresh run cannot be.
    finished = await executor.wait(run.run_id) or run
    if not executor.accepting and (not finished.status.terminal or shutdown_cancelled(finished)):
        return JSONResponse(
            {
                "detail": f"the service shut down before run {run.run_id} finished; it is "
                f"recorded as {finished.status.value}: GET {location}",
                "run_id": run.run_id,
            },
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Location": location, "Retry-After": "1"},
        )
    return finished


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
