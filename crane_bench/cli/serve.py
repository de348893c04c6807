"""`crane-bench serve`: the runtime as an HTTP service under uvicorn.

Host, port, workers and planner default to the settings (`SERVICE_HOST`, `SERVICE_PORT`,
`SERVICE_WORKERS`, `PLANNER`, from the environment or `.env`); an option given on the
command line overrides its setting. `--planner` takes a name (`pattern`, `llm`, `hybrid`:
the `PLANNER` setting) or planner specs (`runtime.planners.specs`, `SERVICE_PLANNERS`):
the server then opens exactly those, by label, the first the default.
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from pydantic import ValidationError

from crane_bench.cli.common import (
    fail,
    first_problem,
    load_settings,
    setup_logging,
    sigterm_as_interrupt,
)
from crane_bench.runtime.errors import UserError

if TYPE_CHECKING:
    from crane_bench.runtime.service.settings import ServiceSettings
    from crane_bench.runtime.settings import PlannerName, Settings

# uvicorn imports this in every worker process when there are several.
APP_FACTORY = "crane_bench.runtime.service.app:create_app_from_env"


def resolve_serve_settings(
    *,
    host: str | None = None,
    port: int | None = None,
    workers: int | None = None,
    planner: str | None = None,
) -> tuple[Settings, ServiceSettings]:
    """The settings `serve` runs with: env and `.env`, overridden by the options given.

    Raises:
        ConfigError: `planner` is neither a planner's name nor valid planner specs.
    """
    from crane_bench.runtime.planners.specs import BUILTIN, parse_specs  # noqa: PLC0415
    from crane_bench.runtime.service.settings import ServiceSettings  # noqa: PLC0415 - loads FastAPI

    name: PlannerName | None = None
    given: dict[str, Any] = {"host": host, "port": port, "workers": workers}
    if planner in BUILTIN:
        name = cast("PlannerName", planner)
    elif planner is not None:
        parse_specs(planner)  # a bad spec is one line before anything starts
        given["planners"] = planner
    service = ServiceSettings(**{k: v for k, v in given.items() if v is not None})
    if service.planners:
        parse_specs(service.planners)
    settings = load_settings(name)
    return settings, service


def serve(
    host: Annotated[
        str | None,
        typer.Option(help="Interface to listen on.", show_default="SERVICE_HOST or 127.0.0.1"),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=0, max=65535, help="TCP port.", show_default="SERVICE_PORT or 8000"),
    ] = None,
    planner: Annotated[
        str | None,
        typer.Option(
            "--planner", "-p", show_default="PLANNER or pattern",
            help="Default planner: pattern, llm or hybrid (llm and hybrid start the LLM "
            "endpoint: the local model server unless OPENAI_BASE_URL or OPENAI_API_KEY is "
            "set). Or planner specs, as for eval --planners, e.g. "
            "'pattern,hybrid\\[strategy=llm-first]': the server opens exactly those, by "
            "label, the first the default.",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1, max=64, show_default="SERVICE_WORKERS or 1",
            help="uvicorn worker processes. They share the run store (RUN_STORE_URL: a "
            "SQLite file or PostgreSQL), so any worker reads any run; each keeps its own "
            "metrics: scrape every worker.",
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:  # fmt: skip
    """Serve the runtime over HTTP: runs, health, metrics; OpenAPI docs at /docs."""
    import uvicorn  # noqa: PLC0415 - only `serve` needs the server

    from crane_bench.runtime.service.app import (  # noqa: PLC0415 - FastAPI is heavy
        check_startup,
        create_app,
    )
    from crane_bench.runtime.service.settings import RunStoreSettings  # noqa: PLC0415
    from crane_bench.runtime.service.shutdown import UVICORN_GRACE_S  # noqa: PLC0415

    setup_logging(verbose)
    try:
        settings, service = resolve_serve_settings(
            host=host, port=port, workers=workers, planner=planner
        )
        store = RunStoreSettings()
    except ValidationError as exc:
        fail(first_problem(exc))
    except UserError as exc:
        fail(str(exc))
    options: dict[str, Any] = {
        "host": service.host,
        "port": service.port,
        "access_log": service.access_log,
        "log_level": "debug" if verbose else "info",
        # On SIGTERM the app drains first (runtime.service.shutdown), answering every client
        # that waits on a run; what is left for uvicorn is closing connections.
        "timeout_graceful_shutdown": UVICORN_GRACE_S,
    }
    if service.workers == 1:
        try:
            app = create_app(settings, service, store_settings=store)
        except UserError as exc:
            fail(str(exc))
        # uvicorn drains on SIGTERM, then raises it again to die of it: exit -15, except as
        # a container's PID 1, which the kernel does not kill that way, and unlike Ctrl-C,
        # which asyncio turns into a clean end. As an interrupt, a stop that was asked for
        # ends here, after the drain, with 0 wherever the service runs.
        sigterm_as_interrupt()
        with contextlib.suppress(KeyboardInterrupt):
            uvicorn.run(app, **options)
        return
    # Worker processes build their own app from the environment, so pass the choices on;
    # check here what each would refuse, for one line instead of a traceback per worker.
    try:
        check_startup(settings, service, store)
    except UserError as exc:
        fail(str(exc))
    os.environ["PLANNER"] = settings.planner
    if service.planners:
        os.environ["SERVICE_PLANNERS"] = service.planners
    uvicorn.run(APP_FACTORY, factory=True, workers=service.workers, **options)
