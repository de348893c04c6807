"""Settings of the HTTP service (`SERVICE_*` env vars), apart from the runtime's own."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """How the service listens, how many runs it keeps, and how it shuts down.

    Every field reads `SERVICE_<NAME>` from the environment or `.env`, e.g.
    `SERVICE_PORT=9000`. The runtime's settings (planner, timeouts) stay in
    `runtime.settings.Settings`.
    """

    model_config = SettingsConfigDict(
        env_prefix="SERVICE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    host: str = Field("127.0.0.1", description="Interface to listen on.")
    port: int = Field(8000, ge=0, le=65535, description="TCP port; 0 picks a free one.")
    workers: int = Field(
        1, ge=1, le=64, description="uvicorn worker processes; each has its own runs and metrics."
    )
    max_finished_runs: int = Field(
        10_000, ge=1, description="Finished runs kept in memory; the oldest go first."
    )
    max_in_flight: int = Field(
        1_000, ge=1, description="Runs pending or running at once; beyond it, 503."
    )
    drain_timeout_s: float = Field(
        10.0, ge=0, description="On shutdown, how long in-flight runs may still finish."
    )
    max_body_bytes: int = Field(
        64 * 1024, ge=1024, description="Largest request body accepted; beyond it, 413."
    )
    llm_check_timeout_s: float = Field(
        2.0, gt=0, description="Timeout of the health check's call to the LLM endpoint."
    )
    access_log: bool = Field(False, description="uvicorn's one line per request.")
    planners: str | None = Field(
        None,
        description="Planner specs the server opens (runtime.planners.specs), the first the "
        "default; unset: pattern, plus llm and hybrid when PLANNER needs a model or an "
        "endpoint is configured.",
    )
