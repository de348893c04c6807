"""Runtime settings from the environment and `.env` (every one is in `.env.example`)."""

from __future__ import annotations

import warnings
from typing import Any, Final, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PlannerName = Literal["pattern", "llm", "hybrid"]
# llm-first: the model's plan unless it fails; pattern-first: the rules' plan when they serve
# the whole prompt, else llm-first; clause-merge: the rules per clause, the model only for
# the clauses no rule serves and only where the clause has a signal for the tool it picks.
HybridStrategy = Literal["llm-first", "pattern-first", "clause-merge"]
# What serves an OpenAI-compatible endpoint (see runtime.local_llm.server_kind); auto asks it.
ServerKind = Literal["llama-cpp-python", "llama-server", "vllm", "ollama", "openai", "unknown"]
ServerSetting = Literal[
    "auto", "llama-cpp-python", "llama-server", "vllm", "ollama", "openai", "unknown"
]
# json_schema: OpenAI structured outputs (OpenAI, vLLM, Ollama, llama-server);
# llama_cpp: llama-cpp-python's {"type": "json_object", "schema": ...}; json_object: any JSON.
ResponseFormatMode = Literal["auto", "json_schema", "llama_cpp", "json_object", "none"]
# oneshot: the whole plan in one call (capable hosted models); decomposed: one constrained
# call per clause (tiny local models); auto: decomposed where the server takes a grammar
# (llama.cpp), else oneshot.
LLMPlannerMode = Literal["auto", "oneshot", "decomposed"]
# Which program serves the local model: llama.cpp's own llama-server (several requests at
# once, continuous batching; `make install` builds it), llama-cpp-python's server (one at
# a time), or auto: llama-server when its binary is found, else llama-cpp-python.
LocalServerSetting = Literal["auto", "llama-server", "llama-cpp-python"]
# How a catalog model's weights are served: re-encoded once into llama.cpp's Q8_0 blocks
# (faster prompt processing on CPU), or the file as shipped.
LocalWeightsSetting = Literal["q8_0", "shipped"]
DEFAULT_BASE_URL = "https://api.openai.com/v1"
"""The endpoint used when OPENAI_API_KEY is set and OPENAI_BASE_URL is not."""
LLM_BACKOFF_BASE_S: Final = 0.2
"""The wait before a model call's first retry; it doubles after each (not a setting)."""
LLM_BACKOFF_MAX_S: Final = 2.0
"""The longest wait between two attempts of a model call (not a setting)."""


def call_budget_s(
    timeout_s: float,
    max_retries: int,
    backoff_base_s: float = LLM_BACKOFF_BASE_S,
    backoff_max_s: float = LLM_BACKOFF_MAX_S,
) -> float:
    """The longest one model call can take when every attempt times out.

    Each attempt's timeout, plus the exponential backoff waits between attempts (as
    tenacity waits them: `backoff_base_s` x 2^retry, at most `backoff_max_s`).
    """
    waits = sum(min(backoff_base_s * 2.0**retry, backoff_max_s) for retry in range(max_retries))
    return timeout_s * (max_retries + 1) + waits


class Settings(BaseSettings):
    """Every knob of the runtime, read from env vars and `.env`."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    # Orchestrator. Every `*_MAX_RETRIES` counts retries after the first attempt.
    step_max_retries: int = Field(
        3, ge=0, le=10, description="Retries of a failed step after its first attempt."
    )
    step_timeout_s: float = Field(30.0, gt=0, description="Timeout of one step attempt.")
    backoff_base_s: float = Field(1.0, ge=0, description="First backoff; doubles per retry.")
    backoff_max_s: float = Field(30.0, ge=0, description="Cap of one backoff wait.")
    run_timeout_s: float = Field(120.0, gt=0, description="Timeout of a whole run.")

    # Planners
    planner: PlannerName = Field("pattern", description="Default planner.")
    hybrid_strategy: HybridStrategy = Field(
        "clause-merge", description="How hybrid combines the model and the rules."
    )

    # LLM endpoint. With neither a key nor a base URL, the local model server is used.
    openai_api_key: SecretStr | None = Field(None, description="Key for a hosted endpoint.")
    openai_base_url: str | None = Field(None, description="Any OpenAI-compatible /v1 URL.")
    llm_model: str = Field("gpt-4o-mini", description="Model name sent to the endpoint.")
    llm_timeout_s: float = Field(20.0, gt=0, description="Timeout of one model call.")
    llm_max_retries: int = Field(2, ge=0, le=10, description="Retries of a failed model call.")
    llm_temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature.")
    llm_seed: int = Field(7, description="Seed sent with every request, for repeatability.")
    llm_max_tokens: int = Field(
        256, ge=16, le=4096, description="Longest answer of a oneshot plan, in tokens."
    )
    llm_response_format: ResponseFormatMode = Field(
        "auto", description="How to constrain output; auto picks by endpoint."
    )
    llm_planner_mode: LLMPlannerMode = Field(
        "auto", description="oneshot, decomposed (per clause), or auto (decomposed on llama.cpp)."
    )
    llm_plan_timeout_s: float | None = Field(
        None,
        gt=0,
        description="Deadline of one whole plan, every model call in it included; "
        "unset: one call's timeout x attempts, plus backoff.",
    )
    llm_server: ServerSetting = Field(
        "auto", description="What serves OPENAI_BASE_URL; auto asks the server (GET /models)."
    )

    # The local model server (used when neither key nor base URL is set)
    local_model: str = Field("smollm2-135m", description="Catalog name or a path to a .gguf.")
    local_port: int = Field(0, ge=0, le=65535, description="0 picks a free port.")
    local_threads: int = Field(2, ge=1, le=64, description="llama.cpp threads.")
    local_n_ctx: int = Field(2048, ge=256, le=32768, description="Context window.")
    local_start_timeout_s: float = Field(60.0, gt=0, description="Wait for readiness.")
    local_server: LocalServerSetting = Field(
        "auto", description="llama-server, llama-cpp-python, or auto (llama-server if found)."
    )
    local_parallel: int = Field(
        1,
        ge=1,
        le=64,
        description="llama-server slots: requests decoded together; 1 repeats a run's answers, "
        "and on 2 CPU cores more gave no plans/s.",
    )
    local_server_bin: str | None = Field(
        None,
        description="Path of llama-server; unset: beside the Python interpreter, then PATH.",
    )
    local_weights: LocalWeightsSetting = Field(
        "shipped",
        description="shipped: the file as shipped; q8_0: SmolLM2's 4-bit weights "
        "re-encoded once into llama.cpp's Q8_0 blocks (its requests about 1.4x faster on "
        "CPU, some greedy answers differ).",
    )
    local_weights_dir: str | None = Field(
        None,
        description="Where re-encoded weights are kept; unset: "
        "$XDG_CACHE_HOME/crane-bench/models (~/.cache/crane-bench/models).",
    )

    # Deprecated names: read, translated and warned about by `_deprecated_names`.
    legacy_max_retries: int | None = Field(
        None, ge=1, le=11, validation_alias="max_retries", exclude=True,
        description="Deprecated MAX_RETRIES (attempts, the first included); use STEP_MAX_RETRIES.",
    )  # fmt: skip

    @model_validator(mode="before")
    @classmethod
    def _deprecated_names(cls, data: Any) -> Any:
        """Translate `MAX_RETRIES` (attempts) into `STEP_MAX_RETRIES` (retries), warning."""
        if not isinstance(data, dict) or data.get("max_retries") is None:
            return data
        warnings.warn(
            "MAX_RETRIES (attempts per step) is deprecated: set STEP_MAX_RETRIES, the "
            "retries after the first attempt (MAX_RETRIES - 1)",
            DeprecationWarning,
            stacklevel=2,
        )
        data = dict(data)
        attempts = int(data.pop("max_retries"))
        data.setdefault("step_max_retries", attempts - 1)
        return data

    def uses_local_model(self) -> bool:
        """True when no hosted endpoint is configured, so the local server is needed."""
        return self.openai_api_key is None and self.openai_base_url is None

    @property
    def llm_plan_deadline_s(self) -> float:
        """How long one LLM plan may take, every model call in it included.

        `LLM_PLAN_TIMEOUT_S` when set, else one call's budget (`call_budget_s`:
        `LLM_TIMEOUT_S` x (`LLM_MAX_RETRIES` + 1) plus the backoff waits). The LLM
        planners end a plan within it, the hybrid then falls back to its rules, and what
        waits for a plan (the service's run timeout, the eval's case timeout) is derived
        from it, never computed again.
        """
        return self.llm_plan_timeout_s or call_budget_s(self.llm_timeout_s, self.llm_max_retries)


def setting_default(name: str) -> Any:
    """The default of setting `name`, for config models that must not repeat it."""
    return Settings.model_fields[name].default
