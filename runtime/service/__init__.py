"""The runtime as an HTTP service: FastAPI app, run store, background executor, metrics."""

from runtime.errors import PlannerUnavailableError, ServiceUnavailableError
from runtime.service.app import create_app, create_app_from_env
from runtime.service.executor import RunExecutor, RunRecorder
from runtime.service.metrics import ServiceMetrics
from runtime.service.settings import ServiceSettings
from runtime.service.store import InMemoryRunStore, RunStore

__all__ = [
    "InMemoryRunStore",
    "PlannerUnavailableError",
    "RunExecutor",
    "RunRecorder",
    "RunStore",
    "ServiceMetrics",
    "ServiceSettings",
    "ServiceUnavailableError",
    "create_app",
    "create_app_from_env",
]
