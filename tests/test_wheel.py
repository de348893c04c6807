"""The built wheel, installed in a fresh virtualenv, works from outside the checkout.

The wheel is built once, from a copy of the checkout: a build in place would leave
`build/` and `*.egg-info` in it, and a `build/` left from before can put files in the
wheel that the sources no longer have.
Two virtualenvs get it: one with the `[eval,load,reports]` extras, one plain. Every
command runs the installed `crane-bench` script from an empty temporary directory, with
no `PYTHONPATH` and no crane-bench settings in the environment, so nothing can come from
the checkout or its `.env`.

The `local-llm` extra is left out: pip compiles llama.cpp for it when it has no cached
wheel (minutes), and the container test (`make docker-test`) covers the packaged model.
Dependencies come from the package index through pip's cache; with it warm the module
takes a minute or two, most of it installing the extras.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest
import yaml

# Building the wheel and installing the extras into the first test's fixtures takes
# most of a minute with a warm pip cache, several on a busy machine with a cold one.
pytestmark = [pytest.mark.integration, pytest.mark.wheel, pytest.mark.timeout(1200)]

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
VERSION: str = PYPROJECT["project"]["version"]
# Top-level entries of the checkout that are not sources: build output, caches, secrets.
NOT_SOURCES = frozenset(
    {".git", ".venv", "build", "dist", "runs", ".cache", ".env", "test-artifacts",
     ".hypothesis", ".benchmarks"}
)  # fmt: skip
# Settings a developer may have exported; the installed commands must not see them.
SETTING_PREFIXES = ("OPENAI_", "LLM_", "PLANNER", "LOCAL_", "SERVICE_", "EVAL_")
GOLD_CASES = ROOT / "evals" / "cases"
CALCULATE = [{"tool": "calculator", "input": {"expression": "2 + 2"}}]


def clean_env() -> dict[str, str]:
    """This process's environment without a path into the checkout or crane-bench settings.

    pip's own settings (index, cache, certificates) stay: the install needs them.
    """
    return {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
        and not key.startswith(SETTING_PREFIXES)
    }


def run(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=timeout, check=False
    )


def skip_non_sources(directory: str, names: list[str]) -> set[str]:
    """`shutil.copytree`'s filter: build output and caches at the top, bytecode anywhere."""
    skipped = {name for name in names if name == "__pycache__"}
    if Path(directory) == ROOT:
        skipped |= NOT_SOURCES | {n for n in names if n.endswith((".egg-info", "_cache"))}
    return skipped


@dataclass(frozen=True)
class Venv:
    """A virtualenv with the wheel installed."""

    path: Path

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    def crane(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        """Run the installed `crane-bench` script in `cwd`."""
        return run([str(self.path / "bin" / "crane-bench"), *args], cwd)

    def serve(self, cwd: Path, log: Path) -> subprocess.Popen[bytes]:
        """Start `crane-bench serve` in `cwd` on a port the system picks, output to `log`."""
        with log.open("wb") as out:
            return subprocess.Popen(
                [str(self.path / "bin" / "crane-bench"), "serve", "--port", "0"],
                cwd=cwd,
                env=clean_env(),
                stdout=out,
                stderr=subprocess.STDOUT,
            )


def make_venv(requirement: str, base: Path) -> Venv:
    """A fresh virtualenv holding `requirement` (the wheel, maybe with extras)."""
    path = base / "venv"
    # Without pip in the venv (ensurepip takes seconds): this pytest's pip installs into
    # it with --python; pip's cache makes the dependencies quick after the first run.
    made = run([sys.executable, "-m", "venv", "--without-pip", str(path)], base)
    assert made.returncode == 0, made.stderr
    installed = run(
        [
            sys.executable, "-m", "pip", "--python", str(path / "bin" / "python"),
            "install", "--quiet", "--disable-pip-version-check", requirement,
        ],
        base,
        timeout=900,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr[-3000:]
    return Venv(path)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the checkout as it is now (committed or not)."""
    base = tmp_path_factory.mktemp("wheel")
    assert not base.is_relative_to(ROOT), "the temporary directory must be outside the checkout"
    source, dist = base / "source", base / "dist"
    # symlinks=True: crane_bench/runtime and the others stay links, as in the checkout.
    shutil.copytree(ROOT, source, symlinks=True, ignore=skip_non_sources)
    built = run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), "."],
        source,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (found,) = dist.glob("*.whl")
    return found


@pytest.fixture(scope="module")
def full(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Venv:
    return make_venv(f"{wheel}[eval,load,reports]", tmp_path_factory.mktemp("full"))


@pytest.fixture(scope="module")
def plain(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Venv:
    return make_venv(str(wheel), tmp_path_factory.mktemp("plain"))


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty directory outside the checkout, where each command runs."""
    assert not tmp_path.is_relative_to(ROOT), "the temporary directory must be outside the checkout"
    return tmp_path


def package_files() -> set[str]:
    """Where each file of the package's sources belongs in the wheel.

    Every file but the Markdown ones (notes for readers of the repository): a data file
    that pyproject's package-data does not name would be missing from the wheel alone.
    """
    wanted = set()
    # followlinks: crane_bench/runtime and the others are links to the top-level folders.
    for directory, dirs, names in os.walk(ROOT / "crane_bench", followlinks=True):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        inside = Path(directory).relative_to(ROOT)
        wanted |= {(inside / name).as_posix() for name in names if not name.endswith(".md")}
    return wanted


def test_the_wheel_holds_one_import_package_and_all_its_files(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {name.split("/")[0] for name in names} == {
        "crane_bench",
        f"crane_bench-{VERSION}.dist-info",
    }
    assert package_files() - names == set()
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_the_installed_distribution_adds_only_crane_bench(full: Venv, workdir: Path) -> None:
    probe = """
import importlib.metadata as md, json, crane_bench
dist = md.distribution("crane-bench")
print(json.dumps({
    "top_level": dist.read_text("top_level.txt").split(),
    "roots": sorted({f.parts[0] for f in dist.files if f.parts[0] != ".."}),
    "file": crane_bench.__file__,
}))
"""
    done = run([str(full.python), "-c", probe], workdir)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["top_level"] == ["crane_bench"]
    # ".." is the crane-bench script in the venv's bin/.
    assert found["roots"] == ["crane_bench", f"crane_bench-{VERSION}.dist-info"]
    # Imported from the venv, not from the checkout.
    assert Path(found["file"]).is_relative_to(full.path)


def assert_plans_and_runs_2_plus_2(venv: Venv, workdir: Path) -> None:
    planned = venv.crane("plan", "calculate 2 + 2", "--planner", "pattern", cwd=workdir)
    assert planned.returncode == 0, planned.stderr
    answer = json.loads(planned.stdout)
    assert answer["plan"]["steps"] == CALCULATE
    assert answer["meta"]["planner"] == "pattern"
    ran = venv.crane("run", "calculate 2 + 2", "--planner", "pattern", cwd=workdir)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["output"] == 4


def test_plan_and_run_with_the_extras(full: Venv, workdir: Path) -> None:
    assert_plans_and_runs_2_plus_2(full, workdir)


def test_plan_and_run_without_extras(plain: Venv, workdir: Path) -> None:
    assert_plans_and_runs_2_plus_2(plain, workdir)


def test_eval_runs_the_packaged_gold_suite_and_report_rebuilds_it(
    full: Venv, workdir: Path
) -> None:
    run_dir = workdir / "run"
    evaluated = full.crane("eval", "--planners", "pattern", "--out", str(run_dir), cwd=workdir)
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    assert evaluated.stdout.strip() == str(run_dir)
    # Nothing is written beside the run directory (no cache, no runs/).
    assert [path.name for path in workdir.iterdir()] == ["run"]
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    # The default cases and gates are the installed package's files; the cases are the
    # checkout's gold suite, every file and every case of it.
    site = full.path / "lib"
    case_files = summary["spec"]["args"]["case_files"]
    assert all(Path(f["path"]).is_relative_to(site) for f in case_files)
    assert {Path(f["path"]).name: f["sha256"] for f in case_files} == {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in GOLD_CASES.glob("*.yaml")
    }
    assert summary["trials"] == sum(
        len(yaml.safe_load(path.read_text(encoding="utf-8"))) for path in GOLD_CASES.glob("*.yaml")
    )
    assert Path(summary["spec"]["args"]["gates"]).is_relative_to(site)
    assert summary["gates"]["passed"] is True

    built = [run_dir / name for name in ("report.html", "summary.md", "junit.xml")]
    assert all(path.is_file() for path in built)
    for path in built:
        path.unlink()
    reported = full.crane("report", str(run_dir), cwd=workdir)
    assert reported.returncode == 0, reported.stderr[-3000:]
    assert reported.stdout.strip() == str(run_dir / "report.html")
    assert all(path.is_file() for path in built)
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    # Rendered from the packaged templates, their stylesheet inlined.
    css = (ROOT / "reports" / "templates" / "report.css").read_text(encoding="utf-8")
    assert css.splitlines()[0] in html
    assert f'<meta name="generator" content="crane-bench {VERSION}">' in html


def listening_port(server: subprocess.Popen[bytes], log: Path) -> int:
    """The port the server listens on (it was started on port 0), once it listens."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text(errors="replace")
        listening = [
            c for c in psutil.Process(server.pid).net_connections()
            if c.status == psutil.CONN_LISTEN
        ]  # fmt: skip
        if listening:
            return int(listening[0].laddr.port)
        time.sleep(0.2)
    pytest.fail(f"serve did not listen in time:\n{log.read_text(errors='replace')}")


@pytest.fixture
def servers() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Servers a test starts; killed at its end should it fail before stopping them."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for server in started:
        if server.poll() is None:
            server.kill()
            server.wait()


@pytest.mark.parametrize("which", ["full", "plain"])
def test_serve_is_ready_then_exits_0_on_sigterm(
    which: str,
    request: pytest.FixtureRequest,
    workdir: Path,
    servers: list[subprocess.Popen[bytes]],
) -> None:
    venv: Venv = request.getfixturevalue(which)
    log = workdir / "serve.log"
    server = venv.serve(workdir, log)
    servers.append(server)
    port = listening_port(server, log)
    ready = httpx.get(f"http://127.0.0.1:{port}/api/v1/health/readiness", timeout=30)
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready"
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=60) == 0, log.read_text(errors="replace")


@pytest.mark.parametrize(
    ("extra", "args"),
    [
        ("eval", ["eval", "--planners", "pattern"]),
        ("eval", ["rescore", "run"]),
        ("eval", ["show", "run", "calc-1"]),
        ("eval", ["cases", "schema"]),
        ("load", ["load"]),
        ("reports", ["report", "run"]),
    ],
)
def test_a_command_without_its_extra_names_it_in_one_line(
    plain: Venv, workdir: Path, extra: str, args: list[str]
) -> None:
    done = plain.crane(*args, cwd=workdir)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"error: this needs the [{extra}] extra (")
    assert lines[0].endswith(f"pip install 'crane-bench[{extra}]'")
