"""Load shapes as plain data: which user count (and spawn rate) holds until when.

`stages` turns a shape name and the run's users, spawn rate and run time into a list of
stages; `at` reads the stage for a moment of the run. The locust shape class in
`load/scenarios/shape.py` only calls these, so the shapes are tested without locust.

- steady: every user for the whole run (locust's own behaviour, as a shape).
- step: five equal steps up to every user, each a fifth of the run (or the user
  counts given as `steps`, each an equal share): where does latency bend?
- spike: a fifth of the users, every user at once for the middle fifth, then back:
  does the service recover, and how long do queued runs take?
- soak: a gentle ramp over the first tenth, then every user to the end: for long runs
  that look for leaks and drift.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from crane_bench.load.config import Shape

STEPS: Final = 5


@dataclass(frozen=True)
class Stage:
    """Hold `users` (reached at `spawn_rate` users/s) until `until_s` into the run."""

    until_s: float
    users: int
    spawn_rate: float


def stages(
    shape: Shape,
    users: int,
    spawn_rate: float,
    run_time_s: float,
    steps: Sequence[int] | None = None,
) -> list[Stage]:
    """The stages of `shape` for a run of `run_time_s` seconds that peaks at `users`.

    `steps` (the step shape only) are the user counts of its steps, in order.
    """
    if users < 1 or spawn_rate <= 0 or run_time_s <= 0:
        raise ValueError("users, spawn rate and run time must be positive")
    if shape == "steady":
        return [Stage(run_time_s, users, spawn_rate)]
    if shape == "step" and steps:
        return [
            Stage(run_time_s * i / len(steps), count, spawn_rate)
            for i, count in enumerate(steps, start=1)
        ]
    if shape == "step":
        return [
            Stage(run_time_s * i / STEPS, max(1, math.ceil(users * i / STEPS)), spawn_rate)
            for i in range(1, STEPS + 1)
        ]
    if shape == "spike":
        base = max(1, users // 5)
        burst = max(spawn_rate, float(users))  # the spike arrives within a second
        return [
            Stage(run_time_s * 0.4, base, spawn_rate),
            Stage(run_time_s * 0.6, users, burst),
            Stage(run_time_s, base, burst),
        ]
    # soak: reach every user over the first tenth of the run, no faster than asked.
    gentle = min(spawn_rate, max(users / (run_time_s * 0.1), 0.1))
    return [Stage(run_time_s, users, gentle)]


def at(plan: list[Stage], elapsed_s: float) -> tuple[int, float] | None:
    """`(users, spawn_rate)` at `elapsed_s` into the run; None once the run is over."""
    for stage in plan:
        if elapsed_s < stage.until_s:
            return stage.users, stage.spawn_rate
    return None


def stage_index(plan: list[Stage], elapsed_s: float) -> int:
    """The 0-based stage holding at `elapsed_s` into the run (the last one after it ends)."""
    for index, stage in enumerate(plan):
        if elapsed_s < stage.until_s:
            return index
    return len(plan) - 1


def plan_of(options: Any, default_run_time_s: float) -> list[Stage]:
    """The stages a locust run's parsed options ask for (`--crane-shape`, `--crane-steps`)."""
    shape: Shape = getattr(options, "crane_shape", "steady")
    given = str(getattr(options, "crane_steps", "") or "")
    steps = [int(part) for part in given.split(",") if part.strip()]
    return stages(
        shape,
        int(getattr(options, "num_users", None) or 1),
        float(getattr(options, "spawn_rate", None) or 1.0),
        float(getattr(options, "run_time", None) or default_run_time_s),
        steps or None,
    )
