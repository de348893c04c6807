"""The runtime as an HTTP service: FastAPI app, run store, background executor, metrics."""

from crane_bench.runtime.errors import PlannerUnavailableError, ServiceUnavailableError
from crane_bench.runtime.service.app import check_startup, create_app, create_app_from_env
from crane_bench.runtime.service.executor import RunExecutor, RunRecorder
from crane_bench.runtime.service.metrics import ServiceMetrics
from crane_bench.runtime.service.settings import ServiceSettings
from crane_bench.runtime.service.store import InMemoryRunStore, RunStore

__all__ = [
    "InMemoryRunStore",
    "PlannerUnavailableError",
    "RunExecutor",
    "RunRecorder",
    "RunStore",
    "ServiceMetrics",
    "ServiceSettings",
    "ServiceUnavailableError",
    "check_startup",
    "create_app",
    "create_app_from_env",
]
