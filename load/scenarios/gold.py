"""Scenario `gold`: the eval's gold cases as traffic, each run scored like an eval trial.

Run it alone: `locust -f load/scenarios/gold.py -H http://127.0.0.1:8000 --crane-cases
evals/cases --crane-quality quality.jsonl`. Each task draws a case from the user's deck
(`load.gold.CaseDeck`), submits its prompt with its setup to every planner label in
turn (the first label rotates, so no planner always goes first), follows each run to its
end and scores it with the eval's scorer (`load.scoring.score_run`). A `RUN` fails only
when the service did not serve it (an HTTP error, no end within the run timeout); a wrong
answer is a quality figure, not a failed request. A run the service did not serve is
scored too, as a timeout (`load.scoring.score_unserved`): the user got no answer.
"""

from __future__ import annotations

import time

from locust import task
from locust.env import Environment
from pydantic import ValidationError

from crane_bench.evals.cases import Case
from crane_bench.load.gold import run_body
from crane_bench.load.quality import QualityRow
from crane_bench.load.scenarios.base import CraneUser, RunState
from crane_bench.load.scoring import score_run, score_unserved
from crane_bench.runtime.models import RunRecord


class GoldUser(CraneUser):
    """Sends gold cases, as a user with the suite's requests would, and scores the answers."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.deck = self.crane.case_deck()
        self._round = 0

    @task
    def gold_case(self) -> None:
        """Submit the next case to each planner in turn, follow, record and score each run."""
        case = self.deck.draw()
        labels: list[str | None] = list(self.crane.planners()) or [None]
        first = self._round % len(labels)
        self._round += 1
        for planner in labels[first:] + labels[:first]:
            self.run_case(case, planner)

    def run_case(self, case: Case, planner: str | None) -> None:
        """One run of `case` with `planner`: the `RUN` request, and its score when it ended."""
        step, users = self.crane.stage_now()
        t = time.time() - (self.crane.started or time.time())
        started_at, began = time.time(), time.perf_counter()
        self._run_in_flight = True
        state = self.submit_and_follow(run_body(case, planner))
        self._run_in_flight = False
        run_ms = (time.perf_counter() - began) * 1000
        failure = state if isinstance(state, str) else None
        record: RunRecord | None = None
        if isinstance(state, RunState):
            try:
                record = RunRecord.model_validate_json(state.body)
            except ValidationError:
                failure = "malformed answer (not a RunRecord)"
        self.record_run(self.run_name(case.category, planner), started_at, began, failure)
        if record is None:
            trial = score_unserved(case, planner=planner or "default", failure=failure or "?")
        else:
            label = planner or (record.planner.planner if record.planner else "default")
            trial = score_run(case, record, planner=label)
        row = QualityRow(**trial.model_dump(), t=t, step=step, users=users, run_ms=run_ms)
        self.crane.scored(row)
