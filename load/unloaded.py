"""The unloaded reference of the `gold` scenario: the same cases, one at a time, no load.

Before the load starts, `unloaded_pass` submits every case once per planner label to
the same service, serially (`POST /api/v1/runs?wait=true`, one run in flight), and scores
each answer as the load will (`load.scoring.score_run`). What load does to accuracy is
then the difference between these rows and the runs under load, on the same service,
model and cases. (`--unloaded <eval run dir>` takes an eval's rows instead:
`load.gold.eval_reference`.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

import httpx
from pydantic import ValidationError

from crane_bench.evals.cases import Case
from crane_bench.evals.results import TrialResult
from crane_bench.load.errors import LoadConfigError, UnloadedPassError
from crane_bench.load.gold import run_body
from crane_bench.load.scoring import score_run
from crane_bench.runtime.models import RunRecord

CLIENT_MARGIN_S: Final = 10.0
"""How much longer than a run's timeout the unloaded pass waits for its answer."""

RUNS = "/api/v1/runs"
Progress = Callable[[int, int], None]
"""Told (runs done, runs in all) after each run."""


def _detail(answer: httpx.Response) -> str:
    try:
        detail = answer.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return str(detail) if detail else answer.text[:200]


def unloaded_pass(
    client: httpx.Client,
    host: str,
    cases: Sequence[Case],
    labels: Sequence[str],
    *,
    timeout_s: float,
    progress: Progress | None = None,
) -> list[TrialResult]:
    """Run every case once per label, one at a time, and score each run.

    Args:
        client: The HTTP client.
        host: The service's base URL.
        cases: The gold cases.
        labels: Planner labels to ask for (empty: the service's default planner).
        timeout_s: How long one run may take, answer included.
        progress: Told after each run.

    Raises:
        LoadConfigError: The service refused a request (4xx): an unknown planner label,
            a setup it cannot hold.
        UnloadedPassError: The service failed to answer (5xx, a broken connection, a
            malformed run).
    """
    asked: list[str | None] = list(labels) or [None]
    total, rows = len(cases) * len(asked), []
    for case in cases:
        for planner in asked:
            record = _run_once(client, host, case, planner, timeout_s)
            label = planner or (record.planner.planner if record.planner else "default")
            rows.append(score_run(case, record, planner=label))
            if progress is not None:
                progress(len(rows), total)
    return rows


def _run_once(
    client: httpx.Client, host: str, case: Case, planner: str | None, timeout_s: float
) -> RunRecord:
    where = f"unloaded pass, case {case.id!r}"
    try:
        answer = client.post(
            f"{host}{RUNS}",
            params={"wait": "true"},
            json=run_body(case, planner),
            # The service answers a run that timed out only after `timeout_s`: the client
            # waits longer, so that run is scored as a timeout rather than lost.
            timeout=timeout_s + CLIENT_MARGIN_S,
        )
    except httpx.HTTPError as exc:
        raise UnloadedPassError(f"{where}: {type(exc).__name__}: {exc}") from None
    if answer.is_client_error:
        raise LoadConfigError(f"{where}: HTTP {answer.status_code}: {_detail(answer)}")
    if answer.status_code != httpx.codes.CREATED:
        raise UnloadedPassError(f"{where}: HTTP {answer.status_code}: {_detail(answer)}")
    try:
        return RunRecord.model_validate_json(answer.content)
    except ValidationError:
        raise UnloadedPassError(f"{where}: the answer is not a run record") from None
