"""`crane-bench serve`: the runtime as an HTTP service under uvicorn."""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Annotated, Any

import typer
import uvicorn

from crane_bench.cli.common import setup_logging
from runtime.service import ServiceSettings, create_app
from runtime.settings import Settings

# uvicorn imports this in every worker process when there are several.
APP_FACTORY = "runtime.service.app:create_app_from_env"


class ServePlanner(StrEnum):
    """Planners the service can default to."""

    pattern = "pattern"
    llm = "llm"
    hybrid = "hybrid"


def serve(
    host: Annotated[
        str, typer.Option(envvar="SERVICE_HOST", help="Interface to listen on.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(envvar="SERVICE_PORT", min=0, max=65535, help="TCP port.")
    ] = 8000,
    planner: Annotated[
        ServePlanner,
        typer.Option(
            "--planner", "-p", envvar="PLANNER",
            help="Default planner. llm and hybrid start the LLM endpoint (local model "
            "server unless OPENAI_BASE_URL or OPENAI_API_KEY is set).",
        ),
    ] = ServePlanner.pattern,
    workers: Annotated[
        int,
        typer.Option(
            envvar="SERVICE_WORKERS", min=1, max=64,
            help="uvicorn worker processes. Each keeps its own runs and metrics: poll a "
            "run on the worker that made it (or use ?wait=true), scrape every worker.",
        ),
    ] = 1,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:  # fmt: skip
    """Serve the runtime over HTTP: runs, health, metrics; OpenAPI docs at /docs."""
    setup_logging(verbose)
    service = ServiceSettings(host=host, port=port, workers=workers)
    options: dict[str, Any] = {
        "host": service.host,
        "port": service.port,
        "access_log": service.access_log,
        "log_level": "debug" if verbose else "info",
        # Requests waiting on runs get the drain period too, then the app drains runs.
        "timeout_graceful_shutdown": max(service.drain_timeout_s, 1.0),
    }
    if workers == 1:
        uvicorn.run(create_app(Settings(planner=planner.value), service), **options)
        return
    # Worker processes build their own app from the environment, so pass the choice on.
    os.environ["PLANNER"] = planner.value
    uvicorn.run(APP_FACTORY, factory=True, workers=workers, **options)
