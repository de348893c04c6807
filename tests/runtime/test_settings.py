"""Settings: one meaning of `*_MAX_RETRIES` (retries after the first attempt), old names warn."""

from __future__ import annotations

from pathlib import Path

import pytest

from crane_bench.runtime.local_llm import LocalServerConfig
from crane_bench.runtime.orchestrator import OrchestratorConfig
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
