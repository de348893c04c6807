"""Settings of the HTTP service (`SERVICE_*` env vars), apart from the runtime's own."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from crane_bench.runtime.service.store_url import DEFAULT_STORE_URL, parse_store_url

# How SQLite syncs a commit to disk in WAL mode. normal: a commit survives the process
# being killed, not a power cut or an OS crash; full: it survives those too, at an fsync
# per commit (batched: one commit holds the writes that queued meanwhile).
SqliteSynchronous = Literal["normal", "full"]


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
        1,
        ge=1,
        le=64,
        description="uvicorn worker processes; they share the run store (not memory://), "
        "each has its own metrics.",
    )
    max_finished_runs: int = Field(
        10_000, ge=1, description="Finished runs kept in the store; the first finished go first."
    )
    max_in_flight: int = Field(
        1_000, ge=1, description="Runs pending or running at once; beyond it, 503."
    )
    drain_timeout_s: float = Field(
        8.0,
        ge=0,
        description="On SIGTERM, the budget of the whole shutdown: runs in flight may finish "
        "until 1.5 s before its end; within docker's 10 s stop timeout by default.",
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


class RunStoreSettings(BaseSettings):
    """Where the service keeps its runs (`RUN_STORE_*` env vars).

    `RUN_STORE_URL` is `sqlite:///PATH` (a relative path; `sqlite:////PATH` for an
    absolute one), `postgresql://USER:PASSWORD@HOST:PORT/DB` (the `postgres` extra), or
    `memory://` (one process; lost on exit).
    """

    model_config = SettingsConfigDict(
        env_prefix="RUN_STORE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    url: str = Field(
        DEFAULT_STORE_URL,
        description="The run store: sqlite:///PATH, postgresql://... or memory://.",
    )
    sqlite_synchronous: SqliteSynchronous = Field(
        "normal",
        description="SQLite's sync per commit: normal survives a killed process, full also "
        "a power cut (an fsync per commit).",
    )

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, url: str) -> str:
        parse_store_url(url)  # its message never repeats the URL, which may hold a password
        return url
