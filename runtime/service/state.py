"""What one app instance holds: settings, store, metrics, and, once started, the executor."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version
from typing import TYPE_CHECKING

import httpx

from crane_bench.runtime.service.executor import RunExecutor
from crane_bench.runtime.service.metrics import ServiceMetrics
from crane_bench.runtime.service.settings import ServiceSettings
from crane_bench.runtime.service.store import RunStore
from crane_bench.runtime.settings import Settings

if TYPE_CHECKING:
    from crane_bench.runtime.local_llm import LLMEndpoint


def package_version() -> str:
    """The installed crane-bench version, or 0.0.0 when running from a bare checkout."""
    try:
        return dist_version("crane-bench")
    except PackageNotFoundError:
        return "0.0.0"


@dataclass
class ServiceState:
    """The per-app state that request handlers reach through `runtime.service.deps`.

    Attributes:
        settings: The runtime's settings (planner, timeouts).
        service: The service's own settings.
        store: Where runs live.
        metrics: This app's metrics (its own registry).
        executor: Set by the lifespan once the planners are open; None before and after.
        default_planner: The planner (name or label) of runs that name none.
        planners: Names (or labels) of the planners that are open.
        endpoint: The LLM endpoint the planners use, when one was opened.
        llm_probe: HTTP client the health check uses to reach the endpoint.
    """

    default_planner: str
    settings: Settings
    service: ServiceSettings
    store: RunStore
    metrics: ServiceMetrics
    executor: RunExecutor | None = None
    planners: list[str] = field(default_factory=list)
    endpoint: LLMEndpoint | None = None
    llm_probe: httpx.AsyncClient | None = None
    version: str = field(default_factory=package_version)
    started: float = field(default_factory=time.monotonic)

    @property
    def ready(self) -> bool:
        """True while runs are accepted."""
        return self.executor is not None and self.executor.accepting
