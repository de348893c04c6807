"""The documentation site: the configuration page matches the settings models, and
`mkdocs build --strict` passes (a broken link, anchor or snippet, or a page left out of
nav, fails it)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[1]


def load_script(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def config_docs() -> ModuleType:
    return load_script("config_docs", ROOT / "scripts/config_docs.py")


def test_configuration_page_is_current() -> None:
    module = config_docs()
    page = module.PAGE.read_text(encoding="utf-8")
    assert module.updated(page) == page, (
        "docs/configuration.md is stale: run python scripts/config_docs.py"
    )


@pytest.mark.parametrize("model", [model for _, model in config_docs().sections()])
def test_every_setting_has_a_row_and_a_description(model: type[BaseSettings]) -> None:
    module = config_docs()
    page = module.PAGE.read_text(encoding="utf-8")
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        assert f"| `{module.env_name(model, name)}` |" in page
        assert field.description, f"{model.__name__}.{name} has no description for the docs"


SETTING_LIKE = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
NOT_SETTINGS = {
    # Environment variables and names the pages mention that are not settings.
    "BASE_IMAGE",  # the Dockerfile's build argument
    "BENCH_QUALITY_STEP_S",  # a benchmark's own knob (bench/load_quality.py)
    "CRANE_PORT",  # the container's published port
    "CRANE_PORT_1",  # the compose file's postgres profile: the first replica's port
    "CRANE_PORT_2",  # and the second's
    "CRANE_UID",  # the container's user
    "POSTGRES_PASSWORD",  # the compose file's postgres profile (the postgres image's)
    "DEFAULT_METRICS",  # the metric registry's name in evals.metric_registry
    # Python names docs/extending.md shows: the tool plug-ins and the case categories.
    "BUILTIN_TOOL_PLUGINS",
    "CALCULATOR_PLUGIN",
    "KNOWN_CATEGORIES",
    "TODO_PLUGIN",
    "NO_CACHE",  # a make variable
    "PIP_CACHE",  # a make variable
    # llama.cpp's weight formats, which configuration.md compares for LOCAL_WEIGHTS.
    "Q4_1",
    "Q8_0",
    "XDG_CACHE_HOME",  # the cache directory convention LOCAL_WEIGHTS_DIR defaults under
    "RUN_DIR",  # a make variable
}


def setting_names() -> set[str]:
    """Every environment variable the settings models read, deprecated names included."""
    module = config_docs()
    names: set[str] = set()
    for _, model in module.sections():
        for name, field in model.model_fields.items():
            alias = field.validation_alias if isinstance(field.validation_alias, str) else name
            names.add(module.env_name(model, alias))
    return names


def test_every_setting_the_readme_and_the_pages_name_is_a_setting() -> None:
    """A setting renamed or removed must not live on in prose; the values are in the
    generated table of docs/configuration.md, which the README links."""
    known = setting_names()
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    pages += [ROOT / "evals/cases/README.md", ROOT / "load/README.md"]
    named = {
        (page.name, name)
        for page in pages
        for name in SETTING_LIKE.findall(page.read_text(encoding="utf-8"))
    }
    for page, name in sorted(named):
        assert name in known | NOT_SETTINGS, f"{page} names {name}, not a setting"
    assert {name for _, name in named} >= NOT_SETTINGS  # the exceptions are still needed
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/configuration.md)" in readme


def test_the_readme_stays_short_and_links_every_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 150
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert f"(docs/{page.name})" in readme, f"README.md does not link docs/{page.name}"


def test_the_scripting_example_runs_on_a_run_directory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    example = load_script("read_a_run", ROOT / "docs/examples/read_a_run.py")
    assert example.main(str(ROOT / "tests/reports/data/eval_run")) == 0
    out = capsys.readouterr().out
    assert out.startswith("planners: hybrid, pattern; finished: True\n")
    assert "failed trials by outcome: {'false_abstain': 4, 'false_action': 2," in out
    assert "pattern: plan accuracy 0.750" in out
    assert out.endswith("gates passed: False\n")
    assert example.main(str(tmp_path / "nowhere")) == 2
    err = capsys.readouterr().err
    assert err == f"error: {tmp_path / 'nowhere'}: not an eval run directory (not a directory)\n"


@pytest.mark.integration
def test_mkdocs_build_is_strict_and_clean(tmp_path: Path) -> None:
    env = os.environ | {"NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert (tmp_path / "site" / "configuration" / "index.html").is_file()
