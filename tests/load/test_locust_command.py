"""The locust command line a config becomes."""

from __future__ import annotations

from pathlib import Path

from crane_bench.load import LoadConfig
from crane_bench.load.locust_command import locust_command
from crane_bench.load.scenarios import SHAPE_FILE, scenario_file


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_a_steady_closed_run() -> None:
    config = LoadConfig(scenario="todo", users=7, spawn_rate=2.5, run_time_s=30)
    command = locust_command(config, "http://127.0.0.1:9", Path("/out"), python="py")
    assert command[:3] == ["py", "-m", "locust"]
    assert option(command, "--locustfile") == str(scenario_file("todo"))
    assert (option(command, "--users"), option(command, "--spawn-rate")) == ("7", "2.5")
    assert option(command, "--run-time") == "30s"
    assert option(command, "--host") == "http://127.0.0.1:9"
    assert option(command, "--json-file") == "/out/stats"
    assert option(command, "--crane-result") == "/out/locust_result.json"
    assert option(command, "--crane-history") == "/out/history.csv"
    assert "--headless" in command
    absent_options = ("--crane-rate", "--crane-shape", "--processes", "--crane-baseline")
    for absent in (*absent_options, "--master-bind-host"):
        assert absent not in command


def test_rate_shape_planner_baseline_and_processes() -> None:
    config = LoadConfig(
        users=40, rate=25, shape="spike", planner="hybrid", processes=2,
        baseline=Path("base.json"),
    )  # fmt: skip
    command = locust_command(config, "http://h", Path("o"))
    assert option(command, "--locustfile") == f"{scenario_file('mixed')},{SHAPE_FILE}"
    assert option(command, "--crane-shape") == "spike"
    assert (option(command, "--crane-rate"), option(command, "--crane-rate-users")) == ("25", "40")
    assert option(command, "--crane-planner") == "hybrid"
    assert option(command, "--crane-baseline") == "base.json"
    assert option(command, "--processes") == "2"
    assert option(command, "--master-bind-host") == "127.0.0.1"  # its workers are all local
