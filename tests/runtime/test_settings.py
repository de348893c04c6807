"""Settings: one meaning of `*_MAX_RETRIES` (retries after the first attempt), old names warn."""

from __future__ import annotations

from pathlib import Path

import pytest

from crane_bench.runtime.local_llm import LocalServerConfig
from crane_bench.runtime.orchestrator import OrchestratorConfig
from crane_bench.runtime.planners.llm import LLMPlannerConfig
from crane_bench.runtime.settings import Settings


@pytest.fixture(autouse=True)
def no_retry_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("STEP_MAX_RETRIES", "MAX_RETRIES", "LLM_MAX_RETRIES"):
        monkeypatch.delenv(name, raising=False)


def test_every_max_retries_counts_retries_after_the_first_attempt() -> None:
    settings = Settings(_env_file=None)
    assert (settings.step_max_retries, settings.llm_max_retries) == (3, 2)


def test_the_old_max_retries_counts_attempts_and_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_RETRIES", "5")
    with pytest.warns(DeprecationWarning, match="STEP_MAX_RETRIES"):
        settings = Settings(_env_file=None)
    assert settings.step_max_retries == 4


def test_the_old_name_in_a_dotenv_file_works_too(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("MAX_RETRIES=1\n")
    with pytest.warns(DeprecationWarning, match="MAX_RETRIES"):
        settings = Settings(_env_file=env)
    assert settings.step_max_retries == 0


def test_the_new_name_wins_over_the_old(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_RETRIES", "5")
    monkeypatch.setenv("STEP_MAX_RETRIES", "1")
    with pytest.warns(DeprecationWarning, match="deprecated"):
        settings = Settings(_env_file=None)
    assert settings.step_max_retries == 1


def test_the_old_name_is_not_recorded() -> None:
    assert "legacy_max_retries" not in Settings(_env_file=None).model_dump()


def test_config_models_take_their_defaults_from_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("STEP_TIMEOUT_S", "BACKOFF_BASE_S", "BACKOFF_MAX_S", "RUN_TIMEOUT_S"):
        monkeypatch.delenv(name, raising=False)
    for name in ("LOCAL_PORT", "LOCAL_THREADS", "LOCAL_N_CTX", "LOCAL_START_TIMEOUT_S"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert OrchestratorConfig() == OrchestratorConfig.from_settings(settings)
    assert LocalServerConfig() == LocalServerConfig.from_settings(settings)


def test_the_llm_planner_config_takes_its_defaults_from_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("LLM_TIMEOUT_S", "LLM_MAX_RETRIES", "LLM_TEMPERATURE", "LLM_SEED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("LLM_MAX_TOKENS", raising=False)
    monkeypatch.delenv("LLM_PLAN_TIMEOUT_S", raising=False)
    settings = Settings(_env_file=None)
    made = LLMPlannerConfig.from_settings(settings)
    assert LLMPlannerConfig().model_dump(exclude={"response_format"}) == made.model_dump(
        exclude={"response_format"}
    )


@pytest.mark.parametrize(
    ("values", "deadline"),
    [
        ({}, 20 * 3 + 0.2 + 0.4),  # three attempts of 20 s, and the backoff between them
        ({"llm_timeout_s": 5, "llm_max_retries": 0}, 5),
        ({"llm_timeout_s": 10, "llm_max_retries": 5}, 60 + 0.2 + 0.4 + 0.8 + 1.6 + 2.0),
        ({"llm_plan_timeout_s": 90}, 90),
    ],
)
def test_the_plan_deadline_is_derived_once_from_the_settings(
    values: dict[str, float], deadline: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("LLM_TIMEOUT_S", "LLM_MAX_RETRIES", "LLM_PLAN_TIMEOUT_S"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None, **values)
    assert settings.llm_plan_deadline_s == pytest.approx(deadline)
    # The LLM planners' own deadline (which the hybrid waits for) is the same number.
    assert LLMPlannerConfig.from_settings(settings).plan_deadline_s == pytest.approx(deadline)
