"""A real local model server for the whole session (SmolLM2, the packaged chat model).

Shared by every test package that needs a real model (local_llm, planners, evals).
"""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Iterator, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

import pytest

from crane_bench.runtime.local_llm import (
    LLMEndpoint,
    LocalModelServer,
    LocalServerConfig,
    local_endpoint,
    resolve_model,
)
from tests.eval_timing import GOLD_EVAL_SECONDS

BARE_NAMES = frozenset({"runtime", "evals", "load", "reports", "plumbing"})


class RefuseBareNames(importlib.abc.MetaPathFinder):
    """Fails an import of a package by its bare folder name (`reports`, not
    `crane_bench.reports`).

    pytest puts the checkout on `sys.path`, where the folders are importable under their
    bare names; an installed crane-bench has only `crane_bench`. A string such as
    `files("reports")` would pass here and fail for every user, so it fails here too.
    """

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if path is None and fullname.partition(".")[0] in BARE_NAMES:
            raise ImportError(f"import crane_bench.{fullname}, not the bare {fullname!r}")
        return None


sys.meta_path.insert(0, RefuseBareNames())


@pytest.fixture(scope="session")
def local_llm_endpoint() -> Iterator[LLMEndpoint]:
    """The endpoint of a SmolLM2 server started once per session, stopped at its end."""
    server = LocalModelServer(
        resolve_model("smollm2-135m"), LocalServerConfig(threads=2, n_ctx=2048)
    )
    with server:
        yield local_endpoint(server)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Refuses a test that uses the real model without the `llm` marker.

    `make check` leaves out the `llm` tests; one that starts the model unmarked would
    make the fast run slow and need the model after all.
    """
    unmarked = [
        item.nodeid
        for item in items
        if "local_llm_endpoint" in getattr(item, "fixturenames", ())
        and item.get_closest_marker("llm") is None
    ]
    if unmarked:
        raise pytest.UsageError(
            "uses the real local model (local_llm_endpoint) but is not marked llm: "
            + ", ".join(unmarked)
        )


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On an xdist worker, hand the gold evaluation's duration to the controller."""
    worker_output: dict[str, object] | None = getattr(session.config, "workeroutput", None)
    seconds = session.config.stash.get(GOLD_EVAL_SECONDS, None)
    if worker_output is not None and seconds is not None:
        worker_output["gold_eval_seconds"] = seconds


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """On the xdist controller, keep the duration a worker handed over."""
    seconds = getattr(node, "workeroutput", {}).get("gold_eval_seconds")
    if isinstance(seconds, float):
        node.config.stash[GOLD_EVAL_SECONDS] = seconds


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how long the gold-suite evaluation took, when this session ran it."""
    seconds = terminalreporter.config.stash.get(GOLD_EVAL_SECONDS, None)
    if seconds is not None:
        terminalreporter.write_line(
            f"gold-suite evaluation (pattern, llm, hybrid; real local model): {seconds:.0f} s"
        )
