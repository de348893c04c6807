"""The Dockerfile, `.dockerignore` and `docker-compose.yml` hold what the service needs.

Fast checks of the container files against the code they package: the health check
path is a route of the app, the exposed port is the service's default port, the image
runs as a non-root user, the build is portable as `make install` builds it. Building
and running the image is `tests/test_container.py` (marked `container`).
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from crane_bench.runtime.service import ServiceSettings, create_app

ROOT = Path(__file__).resolve().parents[1]
HEALTH_URL = re.compile(r"http://127\.0\.0\.1:(?P<port>\d+)(?P<path>/[\w/.-]*)")

Instruction = tuple[int, str, str]  # (stage index, keyword, arguments); stage -1 before FROM


def instructions(text: str) -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith("#")
    ))  # fmt: skip
    parsed: list[Instruction] = []
    stage = -1
    for line in joined.splitlines():
        if not line.strip():
            continue
        keyword, _, args = line.strip().partition(" ")
        if keyword.upper() == "FROM":
            stage += 1
        parsed.append((stage, keyword.upper(), " ".join(args.split())))
    return parsed


@pytest.fixture(scope="module")
def dockerfile() -> list[Instruction]:
    return instructions((ROOT / "Dockerfile").read_text(encoding="utf-8"))


def final_stage(parsed: list[Instruction]) -> list[Instruction]:
    last = max(stage for stage, _, _ in parsed)
    return [item for item in parsed if item[0] == last]


def only(parsed: list[Instruction], keyword: str) -> str:
    found = [args for _, kw, args in parsed if kw == keyword]
    assert len(found) == 1, f"expected one {keyword}, found {found}"
    return found[0]


def get_routes() -> set[str]:
    paths: dict[str, dict[str, Any]] = create_app().openapi()["paths"]
    return {path for path, operations in paths.items() if "get" in operations}


def default_port() -> int:
    port = ServiceSettings.model_fields["port"].default
    assert isinstance(port, int)
    return port


def test_base_image_is_an_argument_with_the_slim_default(dockerfile: list[Instruction]) -> None:
    before_from = [args for stage, kw, args in dockerfile if stage == -1 and kw == "ARG"]
    assert "BASE_IMAGE=python:3.12-slim" in before_from
    froms = [args for _, kw, args in dockerfile if kw == "FROM"]
    assert len(froms) >= 2, "the build is multi-stage"
    assert all(args.startswith("${BASE_IMAGE} AS ") for args in froms), froms


def test_runs_as_a_non_root_user(dockerfile: list[Instruction]) -> None:
    user = only(final_stage(dockerfile), "USER")
    assert user.split(":")[0] not in {"root", "0"}


def test_health_check_hits_a_route_of_the_app_on_the_exposed_default_port(
    dockerfile: list[Instruction],
) -> None:
    final = final_stage(dockerfile)
    match = HEALTH_URL.search(only(final, "HEALTHCHECK"))
    assert match is not None, "the health check calls the service over loopback"
    assert match["path"] in get_routes()
    assert match["path"].endswith("/liveness")
    port = default_port()
    assert int(match["port"]) == port
    assert only(final, "EXPOSE") == str(port)


def test_service_listens_on_every_interface_and_gets_sigterm(
    dockerfile: list[Instruction],
) -> None:
    final = final_stage(dockerfile)
    # Exec form (a JSON array), so crane-bench is PID 1 and receives SIGTERM itself.
    command = json.loads(only(final, "ENTRYPOINT")) + json.loads(only(final, "CMD"))
    assert command[:2] == ["crane-bench", "serve"]
    options = dict(zip(command[2::2], command[3::2], strict=True))
    assert options == {"--host": "0.0.0.0", "--port": str(default_port())}
    assert only(final, "STOPSIGNAL") == "SIGTERM"


def test_llama_cpp_is_built_portable_as_make_install_builds_it(
    dockerfile: list[Instruction],
) -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    wanted = re.search(r"^export CMAKE_ARGS \?= (.+)$", makefile, re.MULTILINE)
    assert wanted is not None
    envs = " ".join(args for _, kw, args in dockerfile if kw == "ENV")
    assert f'CMAKE_ARGS="{wanted[1].strip()}"' in envs


def test_no_dev_tools_are_installed(dockerfile: list[Instruction]) -> None:
    runs = " ".join(args for _, kw, args in dockerfile if kw == "RUN")
    assert "pip install" in runs
    assert "[dev]" not in runs
    assert not re.search(r"\b(pytest|ruff|mypy|playwright)\b", runs)


def test_dockerignore_keeps_only_what_the_build_copies(dockerfile: list[Instruction]) -> None:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert patterns[0] == "*", "everything is excluded first"
    kept = {p.removeprefix("!").rstrip("/") for p in patterns if p.startswith("!")}
    copied = {
        source.rstrip("/")
        for _, kw, args in dockerfile
        if kw == "COPY" and not args.startswith("--from")
        for source in shlex.split(args)[:-1]
    }
    assert copied == kept, "re-include exactly what COPY uses"
    for private in (".env", ".venv", "runs", ".cache", ".git"):
        assert private not in kept


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_compose_service_checks_health_and_reads_env() -> None:
    service = compose()["services"]["service"]
    assert service["env_file"] == ".env"
    assert service["ports"] == [f"${{CRANE_PORT:-{default_port()}}}:{default_port()}"]
    match = HEALTH_URL.search(" ".join(service["healthcheck"]["test"]))
    assert match is not None
    assert match["path"] in get_routes()
    assert int(match["port"]) == default_port()


def test_compose_load_profile_loads_the_service_into_a_mounted_folder() -> None:
    load = compose()["services"]["load"]
    assert load["profiles"] == ["load"]
    assert load["depends_on"] == {"service": {"condition": "service_healthy"}}
    assert load["command"][:3] == ["load", "--host", f"http://service:{default_port()}"]
    assert load["volumes"] == ["./runs:/app/runs"]


DOCKER_STOP_TIMEOUT_S = 10.0  # `docker stop` and `podman stop` wait this long, then SIGKILL
CLOSE_AFTER_DRAIN_S = 2.0  # the model server's stop and the process's exit, after the drain


def default_drain_s() -> float:
    drain = ServiceSettings.model_fields["drain_timeout_s"].default
    assert isinstance(drain, float)
    return drain


def seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+)s", duration)
    assert match is not None, f"a duration in seconds: {duration!r}"
    return float(match[1])


def test_the_default_drain_fits_the_platforms_stop_timeout() -> None:
    assert default_drain_s() + CLOSE_AFTER_DRAIN_S <= DOCKER_STOP_TIMEOUT_S


def test_compose_gives_every_service_replica_more_than_the_drain() -> None:
    services = compose()["services"]
    for name in ("service", "replica-1", "replica-2"):
        assert services[name]["stop_signal"] == "SIGTERM"
        grace = seconds(services[name]["stop_grace_period"])
        assert grace >= default_drain_s() + CLOSE_AFTER_DRAIN_S, name


def test_the_image_keeps_its_runs_on_a_volume_it_may_write(
    dockerfile: list[Instruction],
) -> None:
    final = final_stage(dockerfile)
    envs = " ".join(args for _, kw, args in final if kw == "ENV")
    match = re.search(r"RUN_STORE_URL=sqlite:///(/\S+)", envs)
    assert match is not None, "the image keeps its runs in SQLite"
    database = Path(match[1])
    assert json.loads(only(final, "VOLUME")) == [str(database.parent)]
    runs = " ".join(args for _, kw, args in final if kw == "RUN")
    assert f"chown crane:crane {database.parent}" in runs
    assert compose()["services"]["service"]["volumes"] == [f"crane-data:{database.parent}"]


def test_compose_postgres_profile_runs_two_replicas_on_one_database() -> None:
    loaded = compose()
    services = loaded["services"]
    postgres = services["postgres"]
    assert postgres["profiles"] == ["postgres"]
    assert postgres["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    user, database = (
        postgres["environment"]["POSTGRES_USER"],
        postgres["environment"]["POSTGRES_DB"],
    )
    host_ports = set()
    for name in ("replica-1", "replica-2"):
        replica = services[name]
        assert replica["profiles"] == ["postgres"]
        assert replica["image"] == services["service"]["image"]
        url = replica["environment"]["RUN_STORE_URL"]
        assert re.fullmatch(
            rf"postgresql://{user}:\$\{{POSTGRES_PASSWORD:-\w+\}}@postgres:5432/{database}", url
        )
        assert replica["depends_on"] == {"postgres": {"condition": "service_healthy"}}
        match = HEALTH_URL.search(" ".join(replica["healthcheck"]["test"]))
        assert match is not None
        assert match["path"] in get_routes()
        (port,) = replica["ports"]
        host, _, inside = port.rpartition(":")
        assert inside == str(default_port())
        host_ports.add(host)
    assert len(host_ports) == 2, "each replica is published on a port of its own"
    assert set(loaded["volumes"]) == {"crane-data", "crane-postgres"}
