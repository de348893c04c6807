"""Which program serves the local model, and its command line.

Two programs can serve a GGUF model on loopback with an OpenAI-compatible API:

- `llama-server`, llama.cpp's own server, built by `make install` from the llama.cpp
  sources that llama-cpp-python vendors (`scripts/build-llama-server.sh`). It decodes up
  to `parallel` requests together (continuous batching), keeps each slot's prompt in its
  KV cache for the next request, reports `timings` with every answer, and answers
  `/health` and `/slots` without waiting behind a completion.
- `llama-cpp-python`'s server (`python -m llama_cpp.server`): one request at a time,
  always there when the `[local-llm]` extra is installed.

`LOCAL_SERVER=auto` takes llama-server when its binary is found, else llama-cpp-python.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from crane_bench.runtime.errors import ConfigError

if TYPE_CHECKING:
    from crane_bench.runtime.local_llm.catalog import ResolvedModel
    from crane_bench.runtime.local_llm.server import LocalServerConfig

LocalProgram = Literal["llama-server", "llama-cpp-python"]

LLAMA_SERVER: Final = "llama-server"
_HTTP_THREADS: Final = 64


def find_llama_server(explicit: str | None = None, *, beside: Path | None = None) -> Path | None:
    """The llama-server binary: `explicit`, else beside the interpreter, else on PATH.

    Args:
        explicit: `LOCAL_SERVER_BIN`, if set.
        beside: Where to look first (default: the interpreter's directory).

    Raises:
        ConfigError: `explicit` names no executable file.
    """
    if explicit:
        path = Path(explicit).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise ConfigError(f"LOCAL_SERVER_BIN={explicit} is not an executable file")
        return path
    # `make install` puts it in the virtualenv's bin/, which need not be on PATH.
    candidate = (beside or Path(sys.executable).parent) / LLAMA_SERVER
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which(LLAMA_SERVER)
    return Path(found) if found else None


def resolve_program(
    setting: str, explicit_bin: str | None, *, beside: Path | None = None
) -> tuple[LocalProgram, Path | None]:
    """The program that will serve the model, and llama-server's path when it is that.

    Args:
        setting: `auto`, `llama-server` or `llama-cpp-python` (`LOCAL_SERVER`).
        explicit_bin: `LOCAL_SERVER_BIN`, if set.
        beside: Where to look for llama-server first (default: the interpreter's directory).

    Raises:
        ConfigError: llama-server was asked for and cannot be found.
    """
    if setting == "llama-cpp-python":
        return "llama-cpp-python", None
    binary = find_llama_server(explicit_bin, beside=beside)
    if binary is not None:
        return "llama-server", binary
    if setting == LLAMA_SERVER:
        raise ConfigError(
            "LOCAL_SERVER=llama-server, but no llama-server binary was found beside the "
            "interpreter or on PATH: run `make llama-server`, or set LOCAL_SERVER_BIN"
        )
    # Not logged here: a service resolves the program once to check its settings and
    # again to start; the server says which program serves when it starts.
    return "llama-cpp-python", None


def ready_path(program: LocalProgram) -> str:
    """The path that answers 200 once the model is loaded."""
    # llama-server answers /v1/models while it is still loading the model; /health is 503
    # until it is ready.
    return "/health" if program == LLAMA_SERVER else "/v1/models"


def server_command(
    program: LocalProgram,
    binary: Path | None,
    model: ResolvedModel,
    config: LocalServerConfig,
    *,
    host: str,
    port: int,
) -> list[str]:
    """The command line that serves `model` on `host:port` with `program`."""
    threads = str(config.threads)
    if program == LLAMA_SERVER:
        if binary is None:
            raise ConfigError("llama-server has no binary to run")
        # One KV buffer shared by every slot (--kv-unified): a slot may use the whole
        # context. Each slot reuses the longest prefix its last prompt shares with the
        # next; --cache-ram 0 turns off the store of older prompts in RAM, which would let
        # one planner's block of trials answer from prompts that another planner's block
        # computed (a latency that belongs to neither). Each request waiting for a slot
        # holds an HTTP thread, and the default pool (slots + 2) then leaves none for
        # /health: more threads keep health answering under any queue.
        return [
            str(binary),
            "--model", str(model.path),
            "--alias", model.name,
            "--host", host,
            "--port", str(port),
            "--threads", threads,
            "--threads-batch", threads,
            "--ctx-size", str(config.n_ctx * config.parallel),
            "--parallel", str(config.parallel),
            "--kv-unified",
            "--cont-batching",
            "--cache-ram", "0",
            "--threads-http", str(max(config.parallel + 2, _HTTP_THREADS)),
            "--no-webui",
            "--metrics",
        ]  # fmt: skip
    # interrupt_requests False: the default cuts an in-flight stream when another
    # request arrives. logits_all False: the default costs GBs with large vocabularies.
    return [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model.path),
        "--model_alias", model.name,
        "--host", host,
        "--port", str(port),
        "--n_threads", threads,
        "--n_threads_batch", threads,
        "--n_ctx", str(config.n_ctx),
        "--logits_all", str(config.logits_all),
        "--interrupt_requests", "False",
        "--cache", str(config.prompt_cache),
    ]  # fmt: skip
