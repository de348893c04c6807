"""`LoadConfig` and duration parsing."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from crane_bench.load import (
    SCENARIOS,
    SHAPES,
    LoadConfig,
    LoadConfigError,
    format_duration,
    parse_duration,
)
from crane_bench.load.scenarios import SHAPE_FILE, scenario_file


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("90s", 90), ("2m", 120), ("1h30m", 5400), ("1m30s", 90), ("0.5s", 0.5)],
)
def test_durations_read_like_locust(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "-5s", "0s", "5 minutes", "1m2h"])
def test_a_bad_duration_is_a_config_error(text: str) -> None:
    with pytest.raises(LoadConfigError, match="run time"):
        parse_duration(text)


def test_format_duration_gives_locust_whole_seconds() -> None:
    assert format_duration(59.6) == "60s"
    assert format_duration(0.2) == "1s"


def test_config_forbids_unknown_fields_and_checks_the_host() -> None:
    with pytest.raises(ValidationError, match="extra"):
        LoadConfig.model_validate({"userz": 3})
    with pytest.raises(ValidationError, match="http"):
        LoadConfig(host="localhost:8000")
    assert LoadConfig(host="http://localhost:8000").host == "http://localhost:8000"


def test_per_user_rate_splits_the_target_over_the_users() -> None:
    assert LoadConfig(users=20, rate=50).per_user_rate == 2.5
    assert LoadConfig(users=20).per_user_rate is None


def test_every_scenario_has_a_locust_file() -> None:
    assert set(SCENARIOS) == {"calculator", "todo", "multi_step", "health", "mixed", "gold"}
    assert set(SHAPES) == {"steady", "step", "spike", "soak"}
    for scenario in SCENARIOS:
        assert scenario_file(scenario).is_file()
    assert SHAPE_FILE.is_file()


def test_importing_load_does_not_import_locust_or_gevent() -> None:
    code = "import sys, load, load.runner; print('locust' in sys.modules, 'gevent' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_a_summary_written_with_one_planner_still_reads() -> None:
    assert LoadConfig.model_validate({"planner": "hybrid"}).planners == ("hybrid",)
    assert LoadConfig.model_validate({"planner": None}).planners == ()
    assert LoadConfig(planners=("a", "b")).planner == "a"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"steps": (1, 2), "users": 2}, "steps are for the step shape"),
        ({"steps": (1, 2), "users": 4, "shape": "step"}, "the largest step must be the users"),
        ({"steps": (0, 2), "users": 2, "shape": "step"}, "at least 1"),
    ],
)
def test_steps_fit_the_step_shape_and_the_users(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        LoadConfig.model_validate(values)
    assert LoadConfig(steps=(1, 2, 4, 8), users=8, shape="step").steps == (1, 2, 4, 8)
