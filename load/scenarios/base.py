"""`CraneUser`: the abstract locust user the scenarios share, and what one run costs.

A run task draws a prompt, submits it (`POST /api/v1/runs`), polls
`GET /api/v1/runs/{id}` (named `/api/v1/runs/[id]`, so the polls aggregate) until the
run is completed or failed, and records the whole as one `RUN` request: its latency is
submission to the terminal answer, and it fails when the run ended otherwise than the
prompt expects, or could not be submitted or followed. Every HTTP answer is checked
with `catch_response`: the status code, and a body that parses.

Pacing: with `--crane-rate R` each user waits by `constant_throughput(R / users)`, an
open workload (arrivals at a target rate, while there are users free); without it the
users loop back to back, a closed workload that measures capacity.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Final, Literal, TypeVar

import gevent
from locust import constant_throughput
from locust.contrib.fasthttp import FastHttpUser, FastResponse
from locust.env import Environment
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crane_bench.load.prompts import Kind
from crane_bench.load.scenarios.plugin import context_of
from crane_bench.load.stats import RUN, run_name

RUNS: Final = "/api/v1/runs"
RUN_NAME: Final = "/api/v1/runs/[id]"
MAX_POLL_INTERVAL_S: Final = 1.0
Check = Callable[[bytes], str | None]
"""Reads a 200 answer's body; returns why it is wrong, or None."""

M = TypeVar("M", bound=BaseModel)


class _Accepted(BaseModel):
    model_config = ConfigDict(extra="ignore")
    run_id: str = Field(min_length=1)
    status: str


class _RunError(BaseModel):
    model_config = ConfigDict(extra="ignore")
    kind: str


class RunState(BaseModel):
    """A run as a poll reads it: its status, its error's kind, and the whole answer."""

    model_config = ConfigDict(extra="ignore")
    run_id: str
    status: Literal["pending", "running", "completed", "failed"]
    error: _RunError | None = None
    body: bytes = b""
    """The whole answer, kept once the run is terminal (the gold scenario scores it)."""


class _Status(BaseModel):
    model_config = ConfigDict(extra="ignore")
    status: str


class RunFailedError(Exception):
    """Why a `RUN` failed; the message is categorical, so failures group in the stats."""


def _wrong_status(response: FastResponse, expected: int) -> str | None:
    """Why the status is not `expected` (an HTTP status, or no answer at all), or None."""
    if response.status_code == expected:
        return None
    if not response.status_code:  # the request never got an answer
        return f"connection error: {type(getattr(response, 'error', None)).__name__}"
    return f"HTTP {response.status_code}"


def _read(response: FastResponse, expected: int, model: type[M]) -> M | str:
    """The body as `model` when the status is `expected`; else why it is not."""
    if (wrong := _wrong_status(response, expected)) is not None:
        return wrong
    try:
        return model.model_validate_json(response.content or b"")
    except ValidationError:
        return f"malformed answer (not a {model.__name__.strip('_')})"


def status_is(expected: str) -> Check:
    """A check that the JSON body's `status` is `expected`."""

    def check(body: bytes) -> str | None:
        try:
            found = _Status.model_validate_json(body).status
        except ValidationError:
            return "malformed answer (no status)"
        return None if found == expected else f"status {found}, expected {expected}"

    return check


def contains(text: bytes) -> Check:
    """A check that the body contains `text`."""
    return lambda body: None if text in body else f"answer lacks {text.decode()!r}"


class CraneUser(FastHttpUser):
    """A user of the Crane Bench service; scenarios subclass it with weighted tasks."""

    abstract = True
    network_timeout = 30.0
    connection_timeout = 10.0

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.crane = context_of(environment)
        self.prompts = self.crane.prompt_pool()
        rate = self.crane.per_user_rate()
        self._pacing = constant_throughput(rate) if rate else None
        self._run_in_flight = False
        self._turn = 0

    def wait_time(self) -> float:
        """Seconds to wait before the next task: paced in an open workload, else none."""
        return float(self._pacing(self)) if self._pacing is not None else 0.0

    def next_planner(self) -> str | None:
        """The planner label of this user's next run: each label in turn (None: default)."""
        labels = self.crane.planners()
        if not labels:
            return None
        self._turn += 1
        return labels[(self._turn - 1) % len(labels)]

    def run_name(self, kind: str, planner: str | None) -> str:
        """The `RUN` entry's name: the kind, plus the label when runs vary in planner."""
        return run_name(kind, planner if len(self.crane.planners()) > 1 else None)

    def run_prompt(self, kind: Kind) -> None:
        """Submit a prompt of `kind`, poll it to the end, and record the `RUN`."""
        prompt = self.prompts.draw(kind)
        planner = self.next_planner()
        body: dict[str, Any] = {"prompt": prompt.text}
        if planner:
            body["planner"] = planner
        started_at, began = time.time(), time.perf_counter()
        self._run_in_flight = True
        state = self.submit_and_follow(body)
        self._run_in_flight = False
        failure = state if isinstance(state, str) else None
        if isinstance(state, RunState) and state.status != prompt.expect:
            why = f" ({state.error.kind})" if state.error else ""
            failure = f"expected {prompt.expect}, got {state.status}{why}"
        self.record_run(self.run_name(kind, planner), started_at, began, failure)

    def record_run(self, name: str, started_at: float, began: float, failure: str | None) -> None:
        """Record one `RUN` from `began` (perf counter) to now; failed when `failure` says why."""
        self.environment.events.request.fire(
            request_type=RUN,
            name=name,
            response_time=(time.perf_counter() - began) * 1000,
            response_length=0,
            response=None,
            context={},
            exception=RunFailedError(failure) if failure else None,
            start_time=started_at,
            url=None,
        )

    def on_stop(self) -> None:
        """A run cut off by the end of the test is counted as unfinished, not as failed."""
        if self._run_in_flight:
            self.crane.recorder.unfinished_run()
            self._run_in_flight = False

    def submit_and_follow(self, body: dict[str, Any]) -> RunState | str:
        """Submit a run and poll it to a terminal state; or why that could not be done."""
        deadline = time.perf_counter() + float(self.crane.option("crane_run_timeout", 60.0))
        with self.client.post(
            RUNS, json=body, name=RUNS, catch_response=True, context={"arrival": True}
        ) as response:
            accepted = _read(response, 201, _Accepted)
            if isinstance(accepted, str):
                response.failure(accepted)
                return f"submit: {accepted}"
            response.success()
        return self._follow(accepted.run_id, deadline)

    def _follow(self, run_id: str, deadline: float) -> RunState | str:
        delay = float(self.crane.option("crane_poll_interval", 0.01))
        while True:
            with self.client.get(f"{RUNS}/{run_id}", name=RUN_NAME, catch_response=True) as answer:
                state = _read(answer, 200, RunState)
                if isinstance(state, str):
                    answer.failure(state)
                    return f"poll: {state}"
                answer.success()
            if state.status in ("completed", "failed"):
                state.body = answer.content or b""
                return state
            if time.perf_counter() + delay > deadline:
                return "not finished within the run timeout"
            gevent.sleep(delay)
            delay = min(delay * 2, MAX_POLL_INTERVAL_S)

    def probe(self, path: str, check: Check) -> None:
        """GET `path` and check its 200 answer's body; one arrival."""
        with self.client.get(path, catch_response=True, context={"arrival": True}) as response:
            wrong = _wrong_status(response, 200) or check(response.content or b"")
            if wrong is not None:
                response.failure(wrong)
            else:
                response.success()
