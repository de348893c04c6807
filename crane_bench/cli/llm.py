"""`crane-bench llm`: serve a local model, list the catalog.

`runtime.local_llm` (httpx, psutil) is imported when a command runs, not when the app
is built, so the other commands and `--help` skip it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from crane_bench.cli.common import (
    EXIT_GATE_FAILED,
    fail,
    load_settings,
    setup_logging,
    sigterm_as_interrupt,
)
from crane_bench.runtime.errors import CraneRuntimeError, UserError

if TYPE_CHECKING:
    from crane_bench.runtime.local_llm import LocalModelServer

# `local_llm.catalog.ModelKind`, spelled out: typer reads it when it builds the app, and
# importing the catalog would start `runtime.local_llm` (and pydantic-settings) for every
# command. tests/crane_bench/cli/test_llm.py holds them equal.
ModelKind = Literal["chat", "completion"]

llm_app = typer.Typer(
    name="llm",
    help="The local model server (llama-server or llama-cpp-python) and its catalog of "
    "small models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

_WATCH_INTERVAL_S = 0.5


ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        help="smollm2-135m, gemma3-270m, or a path to a .gguf file "
        "(default: the LOCAL_MODEL setting)",
        show_default=False,
    ),
]
PortOpt = Annotated[
    int | None,
    typer.Option("--port", min=0, max=65535, help="0 picks a free port (default: LOCAL_PORT)"),
]
ThreadsOpt = Annotated[
    int | None,
    typer.Option("--threads", min=1, max=64, help="llama.cpp threads (default: LOCAL_THREADS)"),
]
KindOpt = Annotated[
    ModelKind,
    typer.Option("--kind", help="Kind of a model given by path (catalog models know theirs)."),
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging on stderr.")]


@llm_app.command()
def serve(
    model: ModelOpt = None,
    port: PortOpt = None,
    threads: ThreadsOpt = None,
    kind: KindOpt = "chat",
    verbose: VerboseOpt = False,
) -> None:
    """Serve a local model on 127.0.0.1 until Ctrl-C; print how to point clients at it."""
    from crane_bench.runtime.local_llm import (  # noqa: PLC0415 - see the module's docstring
        LocalModelServer,
        LocalServerConfig,
        resolve_model,
        weights_dir,
    )

    setup_logging(verbose)
    settings = load_settings()
    config = LocalServerConfig.from_settings(settings).model_copy(
        update={
            "port": settings.local_port if port is None else port,
            "threads": threads or settings.local_threads,
        }
    )
    sigterm_as_interrupt()
    try:
        resolved = resolve_model(
            model or settings.local_model,
            kind=kind,
            weights=settings.local_weights,
            weights_dir=weights_dir(settings),
        )
        server = LocalModelServer(resolved, config, reason="crane-bench llm serve")
        server.start()
    except UserError as exc:
        fail(str(exc))
    except CraneRuntimeError as exc:
        fail(str(exc), code=EXIT_GATE_FAILED)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
    try:
        _announce(server)
        while server.running:
            time.sleep(_WATCH_INTERVAL_S)
        fail(
            f"the local model server exited on its own; last lines of {server.log_path}:\n"
            f"{server.log_tail()}",
            EXIT_GATE_FAILED,
        )
    except KeyboardInterrupt:
        typer.echo("stopping", err=True)
    finally:
        server.stop()


def _announce(server: LocalModelServer) -> None:
    rss_mb = server.rss_bytes() / 2**20
    typer.echo(
        f"serving {server.model_name} ({server.model.kind}) with {server.program} "
        f"({server.slots} slot{'s' if server.slots > 1 else ''}) at {server.base_url}"
    )
    typer.echo(f"ready in {server.startup_s or 0:.2f} s, RSS {rss_mb:.0f} MB, pid {server.pid}")
    typer.echo("point clients at it with:")
    typer.echo(f"  export OPENAI_BASE_URL={server.base_url}")
    typer.echo("  export OPENAI_API_KEY=sk-local")
    typer.echo(f"  export LLM_MODEL={server.model_name}")
    typer.echo("Ctrl-C stops it.")


@llm_app.command()
def models() -> None:
    """List the catalog of local models and whether each is on this machine."""
    from rich.console import Console  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415

    from crane_bench.runtime.local_llm import list_models  # noqa: PLC0415
    from crane_bench.runtime.local_llm.programs import resolve_program  # noqa: PLC0415

    table = Table(title="Local models")
    for column in ("name", "kind", "available", "size"):
        table.add_column(column, no_wrap=True)
    table.add_column("license")
    table.add_column("description")
    for row in list_models():
        available = {
            "ready": "[green]ready[/]",
            "needs_assembly": "[yellow]joined on first use[/]",
            "not_installed": "[red]not installed[/]",
        }[row.availability]
        table.add_row(
            row.model.name,
            row.model.kind,
            available,
            f"{row.size_bytes / 1e6:.0f} MB",
            row.model.license,
            row.model.description,
        )
    console = Console()
    console.print(table)
    settings = load_settings()
    try:
        program, binary = resolve_program(settings.local_server, settings.local_server_bin)
    except UserError as exc:
        fail(str(exc))
    if program == "llama-server":
        console.print(f"served by llama-server ({binary}), {settings.local_parallel} slots")
    else:
        console.print("served by llama-cpp-python's server, one request at a time")


@llm_app.command()
def prepare() -> None:
    """Make LOCAL_MODEL ready to serve now: joined, re-encoded (LOCAL_WEIGHTS), cached."""
    from crane_bench.runtime.local_llm import settings_model  # noqa: PLC0415

    settings = load_settings()
    try:
        model = settings_model(settings)
    except UserError as exc:
        fail(str(exc))
    if model.reencoded_from is not None:
        typer.echo(f"{model.name}: {model.path} (re-encoded from {model.reencoded_from.name})")
    else:
        typer.echo(f"{model.name}: {model.path}")
