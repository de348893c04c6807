"""Settings the service's start-up could not open are refused by `create_app` itself.

An error raised in the lifespan reaches the user as uvicorn's traceback; raised by
`create_app` (or `check_startup`, for several workers), it is one line for the CLI.
Nothing here starts a model server: every check runs before anything would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crane_bench.runtime.errors import ConfigError
from crane_bench.runtime.service import ServiceSettings, check_startup, create_app
from crane_bench.runtime.settings import Settings

HOSTED = "http://127.0.0.1:9/v1"


def local(**values: Any) -> Settings:
    """Settings with no hosted endpoint, whatever the environment says: the local model."""
    return Settings(_env_file=None, openai_api_key=None, openai_base_url=None, **values)


def service(planners: str | None = None) -> ServiceSettings:
    return ServiceSettings(_env_file=None, planners=planners)


@pytest.mark.parametrize("planner", ["llm", "hybrid"])
def test_an_unknown_local_model_is_refused_before_start_up(planner: str) -> None:
    with pytest.raises(ConfigError, match=r"^LOCAL_MODEL: unknown local model 'nope'"):
        create_app(local(planner=planner, local_model="nope"), service())


def test_a_missing_model_file_is_refused_before_start_up(tmp_path: Path) -> None:
    missing = tmp_path / "missing.gguf"
    with pytest.raises(ConfigError, match=r"^LOCAL_MODEL: model file not found"):
        check_startup(local(planner="llm", local_model=str(missing)), service())


def test_a_server_binary_that_is_not_there_is_refused_before_start_up(tmp_path: Path) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")  # a model that resolves, so the program is what is refused
    settings = local(
        planner="llm", local_model=str(model), local_server_bin=str(tmp_path / "llama-server")
    )
    with pytest.raises(ConfigError, match=r"^LOCAL_SERVER_BIN=.* is not an executable file"):
        check_startup(settings, service())


def test_a_planner_spec_naming_an_unknown_local_model_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"unknown local model 'nope'"):
        create_app(local(planner="pattern"), service("pattern,llm[model=nope]"))


def test_a_local_model_that_is_never_opened_is_not_checked() -> None:
    # The rules alone need no model: a bad LOCAL_MODEL does not stop them being served.
    check_startup(local(planner="pattern", local_model="nope"), service())
    check_startup(local(planner="llm", local_model="nope"), service("pattern"))


def test_a_hosted_endpoint_needs_no_local_model() -> None:
    settings = Settings(_env_file=None, planner="llm", openai_base_url=HOSTED, local_model="nope")
    check_startup(settings, service())
