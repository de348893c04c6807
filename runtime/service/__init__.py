"""The runtime as an HTTP service: FastAPI app, run store, background executor, metrics."""

from crane_bench.runtime.errors import PlannerUnavailableError, ServiceUnavailableError
from crane_bench.runtime.service.app import check_startup, create_app, create_app_from_env
from crane_bench.runtime.service.executor import RunExecutor, RunRecorder
from crane_bench.runtime.service.metrics import ServiceMetrics
from crane_bench.runtime.service.settings import RunStoreSettings, ServiceSettings
from crane_bench.runtime.service.store import Idempotency, InMemoryRunStore, RunStore
from crane_bench.runtime.service.store_postgres import PostgresRunStore
from crane_bench.runtime.service.store_sqlite import SqliteRunStore

__all__ = [
    "Idempotency",
    "InMemoryRunStore",
    "PlannerUnavailableError",
    "PostgresRunStore",
    "RunExecutor",
    "RunRecorder",
    "RunStore",
    "RunStoreSettings",
    "ServiceMetrics",
    "ServiceSettings",
    "ServiceUnavailableError",
    "SqliteRunStore",
    "check_startup",
    "create_app",
    "create_app_from_env",
]
