"""The service under load, when the run starts it: a child process and its readiness.

The runner is told how to start the service (a command for a port; the CLI builds
`crane-bench serve ...`), picks a free loopback port, and waits until
`/api/v1/health/readiness` answers 200: the planners are open, and with an LLM planner
the model server is up. Only HTTP is used, never the runtime's modules.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Final, Self

from crane_bench.load.errors import ServiceStartError
from crane_bench.plumbing.errors import ChildExitedError, NotReadyError
from crane_bench.plumbing.processes import free_port, spawn, stop, tail
from crane_bench.plumbing.readiness import ReadinessProbe

# uvicorn waits for open connections, then the app drains runs and closes the model server.
STOP_GRACE_S: Final = 30.0

READINESS: Final = "/api/v1/health/readiness"
ServiceCommand = Callable[[int], Sequence[str]]
"""Builds the command that serves on the given loopback port."""


class ServiceProcess:
    """Starts the service on a free loopback port and stops it (and its children).

    Args:
        command: Builds the command line for a port.
        log: File that receives the service's output.
        ready_timeout_s: How long it may take to answer the readiness probe.
        env: Extra environment variables for the child.
    """

    def __init__(
        self,
        command: ServiceCommand,
        log: Path,
        *,
        ready_timeout_s: float = 120.0,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._command = list(command(self.port))
        self._log = log
        self._ready_timeout_s = ready_timeout_s
        self._env = {**os.environ, **(env or {})}
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The service's pid while it runs."""
        return self._process.pid if self._process is not None else None

    def __enter__(self) -> Self:
        self._process = spawn(self._command, self._log, env=self._env)
        try:
            self._wait_ready(self._process)
        except BaseException:
            stop(self._process)
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._process is not None:
            stop(self._process, grace_s=STOP_GRACE_S)

    def _wait_ready(self, process: subprocess.Popen[bytes]) -> None:
        url = self.base_url + READINESS
        try:
            ReadinessProbe(process, url, self._ready_timeout_s).wait()
        except ChildExitedError as exc:
            raise ServiceStartError(
                f"the service exited with code {exc.returncode} before it was "
                f"ready; last lines of {self._log}:\n{tail(self._log)}"
            ) from None
        except NotReadyError:
            raise ServiceStartError(
                f"the service was not ready within {self._ready_timeout_s:g} s "
                f"({url}); last lines of {self._log}:\n{tail(self._log)}"
            ) from None
