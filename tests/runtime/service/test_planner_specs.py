"""The service with planner specs: opened by label, the first the default, counted by label."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from crane_bench.cli.app import app as cli
from crane_bench.runtime.errors import ConfigError
from crane_bench.runtime.service import ServiceSettings, create_app
from crane_bench.runtime.settings import Settings
from tests.runtime.service.conftest import MEMORY, asgi_client

RUNS = "/api/v1/runs"
USER = "tests.runtime.planners.user_planners"


def spec_app(planners: str) -> object:
    return create_app(
        Settings(_env_file=None, planner="pattern"),
        ServiceSettings(_env_file=None, planners=planners),
        store_settings=MEMORY,
    )


async def test_the_server_opens_the_specs_by_label_the_first_the_default() -> None:
    app = spec_app(f"rules=pattern,mine={USER}:build")
    async with asgi_client(app) as client:  # type: ignore[arg-type]
        health = (await client.get("/api/v1/health")).json()
        default = await client.post(RUNS, params={"wait": "true"}, json={"prompt": "add 2 + 2"})
        mine = await client.post(
            RUNS, params={"wait": "true"}, json={"prompt": "add 2 + 2", "planner": "mine"}
        )
        other = await client.post(RUNS, json={"prompt": "add 2 + 2", "planner": "pattern"})
        metrics = (await client.get("/metrics")).text
    assert (health["planner"], health["planners"]) == ("rules", ["mine", "rules"])
    assert default.json()["planner"]["planner"] == "rules"
    assert default.json()["output"] == 4
    assert mine.json()["planner"]["planner"] == "mine"
    assert mine.json()["plan"] == {"steps": []}
    assert other.status_code == 409
    assert 'planner="mine"' in metrics
    assert 'planner="rules"' in metrics


def test_a_bad_spec_refuses_to_build_the_app() -> None:
    with pytest.raises(ConfigError, match="unknown parameter 'strategy'"):
        spec_app("llm[strategy=llm-first]")


@pytest.mark.parametrize(
    ("planner", "message"),
    [("gpt", "unknown planner 'gpt'"), ("hybrid[strategy=fast]", "strategy: Input should be")],
)
def test_serve_with_a_bad_spec_is_one_line_and_exit_2(planner: str, message: str) -> None:
    result = CliRunner().invoke(cli, ["serve", "--planner", planner])
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
