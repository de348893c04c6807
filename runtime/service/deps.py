"""FastAPI dependencies, as `Annotated` aliases that handlers use as parameter types.

They are `async def` although they never await: FastAPI runs a plain `def` dependency
in a worker thread, which costs more than the whole lookup. Each reads the request's
app directly rather than through `get_state`, because every level of sub-dependency
costs FastAPI's resolver time on each request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from crane_bench.runtime.service.executor import RunExecutor
from crane_bench.runtime.service.metrics import ServiceMetrics
from crane_bench.runtime.service.state import ServiceState
from crane_bench.runtime.service.store import RunStore


def _state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


async def get_state(request: Request) -> ServiceState:
    """The state of the app that serves this request."""
    return _state(request)


async def get_store(request: Request) -> RunStore:
    """The app's run store."""
    return _state(request).store


async def get_metrics(request: Request) -> ServiceMetrics:
    """The app's metrics."""
    return _state(request).metrics


async def get_executor(request: Request) -> RunExecutor:
    """The app's executor.

    Raises:
        HTTPException: 503 before startup has finished or after shutdown began.
    """
    executor = _state(request).executor
    if executor is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the service is not ready")
    return executor


StateDep = Annotated[ServiceState, Depends(get_state)]
StoreDep = Annotated[RunStore, Depends(get_store)]
MetricsDep = Annotated[ServiceMetrics, Depends(get_metrics)]
ExecutorDep = Annotated[RunExecutor, Depends(get_executor)]
