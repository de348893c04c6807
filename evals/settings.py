"""Settings of the evaluation harness, from env vars (`EVAL_*`) and `.env`."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EvalSettings(BaseSettings):
    """Knobs of `crane-bench eval` that are not per-run flags (every one in `.env.example`)."""

    model_config = SettingsConfigDict(
        env_prefix="EVAL_", env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    transcripts: bool = Field(
        True,
        description="Write every trial's transcript to transcripts.jsonl; "
        "false for huge runs (as --no-transcripts).",
    )
