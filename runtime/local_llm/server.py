"""`LocalModelServer`: a local OpenAI-compatible model server as a child process.

The program is llama.cpp's `llama-server` or llama-cpp-python's server (`programs`).

The process itself is `plumbing.processes`'s: its own session (a Ctrl-C in the terminal
reaches only the parent, which then stops the whole group: SIGTERM, a grace period,
SIGKILL), output to a log file, and death with its parent even on SIGKILL.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import logging
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

import psutil
from pydantic import BaseModel, ConfigDict, Field

from crane_bench.plumbing.errors import ChildExitedError, PlumbingError
from crane_bench.plumbing.processes import free_port, spawn, tail, tree_rss_bytes
from crane_bench.plumbing.processes import stop as stop_process
from crane_bench.plumbing.readiness import ReadinessProbe
from crane_bench.runtime.errors import ConfigError, LLMUnavailableError
from crane_bench.runtime.local_llm.catalog import ResolvedModel
from crane_bench.runtime.local_llm.programs import (
    LocalProgram,
    ready_path,
    resolve_program,
    server_command,
)
from crane_bench.runtime.settings import LocalServerSetting, setting_default

if TYPE_CHECKING:
    from crane_bench.runtime.settings import Settings

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
_TAIL_LINES = 20
_PORT_ATTEMPTS = 3  # a port picked for us can be taken by someone else before the bind


class LocalServerConfig(BaseModel):
    """How to run the server; `from_settings` reads the `LOCAL_*` settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    port: int = Field(
        setting_default("local_port"), ge=0, le=65535, description="0 picks a free port."
    )
    threads: int = Field(
        setting_default("local_threads"), ge=1, le=64, description="llama.cpp threads."
    )
    n_ctx: int = Field(
        setting_default("local_n_ctx"), ge=256, le=32768, description="Context in tokens."
    )
    start_timeout_s: float = Field(
        setting_default("local_start_timeout_s"), gt=0, description="Wait for the model."
    )
    stop_timeout_s: float = Field(10.0, gt=0, description="Grace after SIGTERM before SIGKILL.")
    server: LocalServerSetting = Field(
        setting_default("local_server"),
        description="llama-server, llama-cpp-python, or auto (llama-server if found).",
    )
    parallel: int = Field(
        setting_default("local_parallel"),
        ge=1,
        le=64,
        description="llama-server slots: requests decoded together (llama-cpp-python: 1).",
    )
    server_bin: str | None = Field(
        setting_default("local_server_bin"), description="Path of llama-server, if not found."
    )
    prompt_cache: bool = Field(
        False,
        description="llama-cpp-python's --cache: keep KV-state snapshots of past prompts in "
        "RAM (LRU, up to 2 GiB) so a prompt can reuse a prefix of any earlier one. Without "
        "it, only the prefix shared with the previous request is reused.",
    )
    log_dir: Path | None = Field(
        None,
        description="Where server.log goes (kept). None: a fresh temp dir, removed after a "
        "clean stop and kept after a failed start or a crash.",
    )
    logits_all: bool = Field(
        False,
        description="Keep logits of every prompt token: needed for `logprobs`, costs up to "
        "2.7 GB with Gemma's 262k vocabulary.",
    )

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalServerConfig:
        """The configuration the runtime settings ask for."""
        return cls(
            port=settings.local_port,
            threads=settings.local_threads,
            n_ctx=settings.local_n_ctx,
            start_timeout_s=settings.local_start_timeout_s,
            server=settings.local_server,
            parallel=settings.local_parallel,
            server_bin=settings.local_server_bin,
        )


pick_free_port = free_port
"""A port that is free on loopback right now (the OS picks it)."""


def ensure_port_free(port: int, host: str = HOST) -> None:
    """Check that `port` can be bound, before spending a second loading a model.

    Raises:
        ConfigError: Something already listens on the port.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As uvicorn does: a port in TIME_WAIT is usable, only a listener is in the way.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"port {port} on {host} is in use ({exc.strerror})") from exc


class LocalModelServer:
    """One server process serving one model on loopback (`programs` says which program).

    Use it as a context manager (sync or async); the server is stopped when the block
    exits, whatever the reason, and at interpreter exit if it is still running.

    Args:
        model: The model to serve; its name becomes the server's model alias.
        config: Port, threads, context, timeouts.
        reason: Why the local server is used, appended to the start-up log line.

    Raises:
        ConfigError: The program `config.server` asks for cannot be found
            (`LOCAL_SERVER`, `LOCAL_SERVER_BIN`).
    """

    def __init__(
        self,
        model: ResolvedModel,
        config: LocalServerConfig | None = None,
        *,
        reason: str | None = None,
    ) -> None:
        self.model = model
        self.config = config or LocalServerConfig()
        program, self._binary = resolve_program(self.config.server, self.config.server_bin)
        self.program: LocalProgram = program
        """What serves the model: `llama-server` or `llama-cpp-python`."""
        self._reason = reason
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._port: int | None = None
        self._log_dir: Path | None = self.config.log_dir
        self._startup_s: float | None = None

    # -- what callers read -------------------------------------------------------------

    @property
    def model_name(self) -> str:
        """The alias clients send as `model`."""
        return self.model.name

    @property
    def port(self) -> int:
        """The port the server listens on (known once `start` has begun)."""
        if self._port is None:
            raise LLMUnavailableError("the local model server has not been started")
        return self._port

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL, e.g. ``http://127.0.0.1:8123/v1``."""
        return f"http://{HOST}:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        """The server's process id, while there is a process."""
        return self._proc.pid if self._proc is not None else None

    @property
    def log_path(self) -> Path | None:
        """The server's stdout and stderr; kept after a failed start for diagnosis."""
        return self._log_dir / "server.log" if self._log_dir is not None else None

    @property
    def startup_s(self) -> float | None:
        """Seconds from spawning the process to the model being loaded and served."""
        return self._startup_s

    @property
    def running(self) -> bool:
        """True while the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def slots(self) -> int:
        """How many requests the server decodes at once (llama-cpp-python: one)."""
        return self.config.parallel if self.program == "llama-server" else 1

    def command(self, port: int) -> list[str]:
        """The server's command line."""
        return server_command(
            self.program, self._binary, self.model, self.config, host=HOST, port=port
        )

    def rss_bytes(self) -> int:
        """Resident memory of the server process and any children, in bytes.

        Raises:
            LLMUnavailableError: The server is not running.
        """
        if self._proc is None or self._proc.poll() is not None:
            raise LLMUnavailableError("the local model server is not running")
        try:
            return tree_rss_bytes(self._proc.pid)
        except psutil.NoSuchProcess as exc:
            raise LLMUnavailableError("the local model server is not running") from exc

    def log_tail(self, lines: int = _TAIL_LINES) -> str:
        """The last `lines` lines of the server's log, for error messages."""
        path = self.log_path
        if path is None or not path.is_file():
            return "(no log)"
        return tail(path, lines) or "(empty log)"

    # -- lifecycle ---------------------------------------------------------------------

    def check(self) -> None:
        """Raise the `ConfigError` that `start` would raise before it spawns anything.

        The model and the program were resolved when the server was made; this is what
        is left to find out without starting it.

        Raises:
            ConfigError: llama-cpp-python would serve the model and is not installed.
        """
        if self.program == "llama-cpp-python" and importlib.util.find_spec("llama_cpp") is None:
            raise ConfigError(
                "the local model server needs the [local-llm] extra (llama_cpp not installed): "
                "pip install 'crane-bench[local-llm]', or set OPENAI_BASE_URL or OPENAI_API_KEY"
            )

    def start(self) -> None:
        """Start the server and block until its model is loaded and served.

        Raises:
            ConfigError: The port asked for is in use.
            LLMUnavailableError: The process exited during start-up, or was not ready
                within `start_timeout_s`; the message holds the end of its log.
        """
        for attempt in range(self._attempts()):
            probe = self._spawn()
            try:
                self._started(probe.wait())
                return
            except PlumbingError as exc:
                if not self._retry_port(exc, attempt):
                    self.stop()
                    raise self._failure(exc) from None
            except BaseException:
                self.stop()
                raise

    async def start_async(self) -> None:
        """Like `start`, without blocking the event loop while the model loads."""
        for attempt in range(self._attempts()):
            probe = self._spawn()
            try:
                self._started(await probe.wait_async())
                return
            except PlumbingError as exc:
                if not self._retry_port(exc, attempt):
                    self.stop()
                    raise self._failure(exc) from None
            except BaseException:
                self.stop()
                raise

    def stop(self) -> None:
        """Stop the server and everything in its process group. Safe to call twice."""
        with self._lock:
            proc, self._proc = self._proc, None
            if proc is None:
                return
            atexit.unregister(self.stop)
            crashed = proc.poll() is not None
            stop_process(proc, grace_s=self.config.stop_timeout_s)
            # A clean run leaves no temp dir behind; a failed start or a crash keeps its log.
            clean = self._startup_s is not None and not crashed
            if clean and self._log_dir is not None and self.config.log_dir is None:
                shutil.rmtree(self._log_dir, ignore_errors=True)
                self._log_dir = None
            logger.debug("local model server %s stopped", self.model.name)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        await self.start_async()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Stopping waits for the process; a thread keeps the loop free meanwhile.
        await asyncio.to_thread(self.stop)

    # -- internals ---------------------------------------------------------------------

    def _attempts(self) -> int:
        return 1 if self.config.port else _PORT_ATTEMPTS

    def _spawn(self) -> ReadinessProbe:
        """Launch the process; return the probe of its readiness."""
        if self.running:
            raise LLMUnavailableError(f"the local model server is already running ({self.pid})")
        self.check()
        if self.config.port:
            ensure_port_free(self.config.port)
            port = self.config.port
        else:
            port = pick_free_port()
        if self._log_dir is None:
            self._log_dir = Path(tempfile.mkdtemp(prefix="crane-llm-"))
        log_path = self._log_dir / "server.log"
        self._port = port
        self._startup_s = None
        if self.program == "llama-cpp-python" and self.config.server == "auto":
            logger.info("no llama-server binary found: the model is served by llama-cpp-python")
        logger.info(
            "starting local model server: %s (%s) on %s%s",
            self.model.name,
            self.program,
            self.base_url,
            f" ({self._reason})" if self._reason else "",
        )
        with self._lock:
            self._proc = spawn(self.command(port), log_path, append=False)
            atexit.register(self.stop)
        ready_url = f"http://{HOST}:{port}{ready_path(self.program)}"
        return ReadinessProbe(self._proc, ready_url, self.config.start_timeout_s)

    def _started(self, seconds: float) -> None:
        self._startup_s = seconds
        logger.debug(
            "local model server ready in %.2f s (pid %s, log %s)", seconds, self.pid, self.log_path
        )

    def _retry_port(self, exc: PlumbingError, attempt: int) -> bool:
        """True when the port we picked was taken before the bind, and another try is left.

        A port picked for us can be taken by someone else between picking and binding.
        """
        taken = isinstance(exc, ChildExitedError) and self._port_taken()
        if not taken or attempt + 1 == self._attempts():
            return False
        with self._lock:
            proc, self._proc = self._proc, None
            atexit.unregister(self.stop)
        if proc is not None:
            stop_process(proc, grace_s=self.config.stop_timeout_s)
        return True

    def _failure(self, exc: PlumbingError) -> LLMUnavailableError:
        if isinstance(exc, ChildExitedError):
            what = (
                "could not bind a free port"
                if self._port_taken()
                else f"exited with code {exc.returncode} during start-up"
            )
        else:
            what = f"was not ready within {self.config.start_timeout_s:g} s"
        return LLMUnavailableError(
            f"local model server ({self.program}, {self.model.name}, {self.model.path}) {what}; "
            f"log {self.log_path}, last lines:\n{self.log_tail()}"
        )

    def _port_taken(self) -> bool:
        return not self.config.port and "address already in use" in self.log_tail().lower()
