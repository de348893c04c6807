"""`.env.example` lists every setting with its default, and nothing stale."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from crane_bench.evals.settings import EvalSettings
from crane_bench.runtime.service.settings import RunStoreSettings, ServiceSettings
from crane_bench.runtime.settings import Settings

ENV_EXAMPLE = Path(__file__).resolve().parents[1] / ".env.example"


def env_names(model: type[BaseSettings]) -> dict[str, object]:
    prefix = model.model_config.get("env_prefix", "")
    return {
        f"{prefix}{name}".upper(): field.default
        for name, field in model.model_fields.items()
        if not field.exclude  # a deprecated name, read but no longer listed
    }


def listed() -> dict[str, str]:
    pairs = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        text = line.removeprefix("# ").strip() if line.startswith("# ") and "=" in line else line
        if text and not text.startswith("#") and "=" in text:
            key, _, value = text.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


@pytest.mark.parametrize("model", [Settings, ServiceSettings, RunStoreSettings, EvalSettings])
def test_every_setting_is_listed_with_its_default(model: type[BaseSettings]) -> None:
    example = listed()
    for name, default in env_names(model).items():
        assert name in example, f"{name} missing from .env.example"
        if default is not None:
            shown = str(default).lower() if isinstance(default, bool) else str(default)
            assert example[name] == shown, f"{name}: .env.example says {example[name]!r}"


def test_nothing_stale_is_listed() -> None:
    known = env_names(Settings) | env_names(ServiceSettings) | env_names(EvalSettings)
    known |= env_names(RunStoreSettings)
    assert set(listed()) <= set(known)
