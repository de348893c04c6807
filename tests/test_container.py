"""The service's image, built and run with podman: what `make docker-test` does.

Marked `container` and deselected by `make test` (it takes minutes). It builds the
image with `containers/build.sh` (the local base image first, when missing), runs it
with `--network none` so the LLM and hybrid planners can only use the model packaged
inside, waits for the image's own HEALTHCHECK, plans with the pattern and hybrid
planners, reads `/metrics`, then sends the service (PID 1) SIGTERM, as `podman stop`
does, right after submitting a run, and checks the run was drained, not cancelled.
With no network, every request is sent from inside the container (`podman exec ...
python`), and so is that SIGTERM, so the run is surely in flight when it lands.
Figures go to stdout (`pytest -s`).

Skips with a one-line reason where podman, runc or the base image cannot be had;
`CRANE_CONTAINER_REQUIRED=1` (set by `make docker-test`) turns the skip into a failure.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

pytestmark = [pytest.mark.container, pytest.mark.timeout(2400)]

ROOT = Path(__file__).resolve().parents[1]
IMAGE = os.environ.get("CRANE_TEST_IMAGE", "crane-bench:test")
BASE_IMAGE = os.environ.get("BASE_IMAGE", "localhost/debian-py:bookworm")
HEALTHY_WITHIN_S = 300.0
# The model answers in seconds on an idle machine, in tens of seconds on a busy one. The
# run timeout must outlast one plan's deadline (3 attempts of 180 s plus backoff: 541 s),
# or the service refuses to start (`check_run_timeout`).
SLOW_MACHINE_ENV = ("LLM_TIMEOUT_S=180", "RUN_TIMEOUT_S=600", "SERVICE_DRAIN_TIMEOUT_S=300")
# Sent with `python -c` inside the container: a JSON list of [method, path, body|null]
# in argv[1], a JSON list of {status, body} out; with argv[2] == "term", SIGTERM to
# PID 1 (the service) right after the last answer, while its runs are still in flight.
CLIENT = """
import json, os, signal, sys, urllib.error, urllib.request
out = []
for method, path, body in json.loads(sys.argv[1]):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request("http://127.0.0.1:8000" + path, data=data,
        method=method, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=600) as answer:
            out.append({"status": answer.status, "body": answer.read().decode()})
    except urllib.error.HTTPError as error:
        out.append({"status": error.code, "body": error.read().decode()})
print(json.dumps(out))
if sys.argv[2:] == ["term"]:
    os.kill(1, signal.SIGTERM)
"""


@dataclass(frozen=True)
class Answer:
    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


def unavailable(reason: str) -> NoReturn:
    if os.environ.get("CRANE_CONTAINER_REQUIRED") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def podman(
    *args: str, timeout: float = 120, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["podman", "--runtime", "runc", *args],
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    if check and done.returncode != 0:
        pytest.fail(f"podman {' '.join(args[:2])} failed: {done.stderr.strip()[-2000:]}")
    return done


Request = tuple[str, str, dict[str, Any] | None]


def api(container: str, *requests: Request, then_term: bool = False) -> list[Answer]:
    """Send `requests` from inside the running `container`; SIGTERM it after, if asked."""
    term = ["term"] if then_term else []
    done = podman(
        "exec", container, "python", "-c", CLIENT, json.dumps(requests), *term, timeout=900
    )  # fmt: skip
    return [Answer(**item) for item in json.loads(done.stdout)]


def logs(name: str) -> str:
    done = podman("logs", name, check=False)
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def image() -> str:
    """The image's name, once built (the base image first, when missing)."""
    for tool in ("podman", "runc"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed (apt-get install podman runc)")
    base_missing = podman("image", "exists", BASE_IMAGE, check=False).returncode != 0
    cannot_build = os.geteuid() != 0 or shutil.which("debootstrap") is None
    if base_missing and BASE_IMAGE.startswith("localhost/") and cannot_build:
        unavailable(f"base image {BASE_IMAGE} is missing and debootstrap cannot build it")
    began = time.monotonic()
    built = subprocess.run(
        [str(ROOT / "containers" / "build.sh")],
        env={**os.environ, "ENGINE": "podman", "IMAGE": IMAGE, "BASE_IMAGE": BASE_IMAGE},
        capture_output=True, text=True, timeout=2400, check=False,
    )  # fmt: skip
    build_s = time.monotonic() - began
    if built.returncode != 0:
        pytest.fail(f"image build failed:\n{(built.stdout + built.stderr)[-4000:]}")
    size = int(podman("image", "inspect", "--format", "{{.Size}}", IMAGE).stdout.strip())
    print(f"\ncontainer: built {IMAGE} in {build_s:.0f} s; image size {size / 1e6:.0f} MB")
    return IMAGE


@pytest.fixture(scope="module")
def container(image: str) -> Iterator[str]:
    """The name of a running, healthy container of the image, removed at the end."""
    name = f"crane-test-{secrets.token_hex(4)}"
    began = time.monotonic()
    podman(
        "run", "--detach", "--name", name, "--network", "none",
        "--env", "PLANNER=hybrid", *(f"--env={env}" for env in SLOW_MACHINE_ENV), image,
    )  # fmt: skip
    try:
        healthy_s = wait_healthy(name, began)
        print(f"\ncontainer: healthy {healthy_s:.1f} s after `podman run` (hybrid, local model)")
        yield name
    finally:
        podman("rm", "--force", "--time", "0", name, check=False)


def wait_healthy(name: str, began: float) -> float:
    """Run the image's own HEALTHCHECK until it passes; seconds since `began`."""
    while time.monotonic() - began < HEALTHY_WITHIN_S:
        if podman("healthcheck", "run", name, check=False).returncode == 0:
            return time.monotonic() - began
        state = podman("inspect", "--format", "{{.State.Status}}", name, check=False)
        if state.stdout.strip() != "running":
            pytest.fail(f"container {state.stdout.strip()} before healthy:\n{logs(name)[-4000:]}")
        time.sleep(0.5)
    pytest.fail(f"not healthy within {HEALTHY_WITHIN_S:.0f} s:\n{logs(name)[-4000:]}")


def test_image_runs_as_crane_without_dev_tools(image: str) -> None:
    config = json.loads(podman("image", "inspect", image).stdout)[0]["Config"]
    assert config["User"] == "crane"
    assert "8000/tcp" in config["ExposedPorts"]
    # The dev extra's tools. (pytest itself is there: locust, a run-time dependency, needs it.)
    tools = (
        "import importlib.util as u; print([m for m in ('ruff', 'mypy', 'hypothesis', "
        "'schemathesis', 'playwright', 'pytest_asyncio', 'pytest_benchmark') if u.find_spec(m)])"
    )
    found = podman("run", "--rm", "--network", "none", "--entrypoint", "python", image, "-c", tools)
    assert found.stdout.strip() == "[]"


def test_health_reports_the_packaged_model(container: str) -> None:
    (health,) = api(container, ("GET", "/api/v1/health", None))
    assert health.status == 200
    report = health.json()
    assert report["status"] == "ok"
    assert report["planners"] == ["hybrid", "llm", "pattern"]
    assert report["llm"]["reachable"] is True
    assert report["llm"]["base_url"].startswith("http://127.0.0.1:")


def test_pattern_run(container: str) -> None:
    body = {"prompt": "calculate (10 + 5) * 2", "planner": "pattern"}
    (answer,) = api(container, ("POST", "/api/v1/runs?wait=true", body))
    assert answer.status == 201
    run = answer.json()
    assert run["status"] == "completed"
    assert run["output"] == 30


def test_llm_run_is_planned_by_the_packaged_model(container: str) -> None:
    # The llm planner always asks the model (the hybrid's rules now read "15% of 80"
    # themselves, so a hybrid run proved nothing about the model in the image).
    body = {"prompt": "what is 15% of 80", "planner": "llm"}
    (answer,) = api(container, ("POST", "/api/v1/runs?wait=true", body))
    assert answer.status == 201
    run = answer.json()
    meta = run["planner"]
    print(
        f"\ncontainer: llm {body['prompt']!r} -> {run['status']}, output {run['output']!r}, "
        f"plan {json.dumps(run['plan']['steps'])}, model {meta['model']}, "
        f"tokens {meta['tokens_in']}+{meta['tokens_out']}, "
        f"plan {run['plan_ms']:.0f} ms (measured under contention)"
    )
    assert meta["planner"] == "llm"
    assert meta["model"] == "smollm2-135m"
    assert meta["model_calls"] >= 1
    assert meta["tokens_in"] > 0
    assert meta["tokens_out"] > 0


def test_metrics_count_the_runs(container: str) -> None:
    (metrics,) = api(container, ("GET", "/metrics", None))
    assert metrics.status == 200
    for planner in ("pattern", "llm"):
        assert f'crane_runs_total{{planner="{planner}",status="completed"}}' in metrics.body


def test_sigterm_drains_runs_in_flight(container: str) -> None:
    # The llm planner asks the model (about a second here), so the run is still in flight
    # when SIGTERM comes right after the 201; the hybrid's rules answer in a millisecond.
    body = {"prompt": "calculate 12 * 7", "planner": "llm"}
    (accepted,) = api(container, ("POST", "/api/v1/runs", body), then_term=True)
    assert accepted.status == 201
    exit_code = podman("wait", container, timeout=400).stdout.strip()
    text = logs(container)
    assert exit_code == "0", text[-4000:]
    assert "draining 1 run(s)" in text, text[-4000:]
    assert "cancelling" not in text, text[-4000:]
    assert "Application shutdown complete" in text
