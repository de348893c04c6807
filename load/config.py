"""What a load run is asked to do: `LoadConfig`, its names, and duration parsing."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crane_bench.load.errors import LoadConfigError

Scenario = Literal["calculator", "todo", "multi_step", "health", "mixed", "gold"]
Shape = Literal["steady", "step", "spike", "soak"]
Unloaded = Literal["pass", "none"]
SCENARIOS: Final[tuple[Scenario, ...]] = get_args(Scenario)
SHAPES: Final[tuple[Shape, ...]] = get_args(Shape)
DEFAULT_SLO: Final = Path(__file__).with_name("slo.yaml")
DEFAULT_CASES: Final = Path(__file__).resolve().parent.parent / "evals" / "cases"

_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?")


def parse_duration(text: str) -> float:
    """Seconds in a locust-style duration: `90`, `90s`, `2m`, `1h30m`, `1m30s`.

    Raises:
        LoadConfigError: The text is not a positive duration.
    """
    match = _DURATION.fullmatch(text.strip().lower())
    if not text.strip() or match is None or not any(match.groups()):
        raise LoadConfigError(f"run time {text!r}: expected e.g. 60s, 2m, 1h30m")
    hours, minutes, seconds = (float(part) if part else 0.0 for part in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total <= 0:
        raise LoadConfigError(f"run time {text!r}: must be more than 0 s")
    return total


def format_duration(seconds: float) -> str:
    """The duration as locust's `--run-time` reads it (whole seconds, at least 1)."""
    return f"{max(1, round(seconds))}s"


class LoadConfig(BaseModel):
    """One load run: what to load, how hard, for how long, and where to write.

    Every field maps to a `crane-bench load` option; the run records it in its summary
    so it can be repeated.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    scenario: Scenario = "mixed"
    """Which locust file under `load/scenarios/` to run."""
    users: int = Field(50, ge=1, le=10_000)
    """Concurrent users (the peak, for shapes that vary)."""
    spawn_rate: float = Field(10.0, gt=0)
    """Users started per second."""
    run_time_s: float = Field(60.0, gt=0)
    """How long the load lasts, ramp-up included."""
    shape: Shape = "steady"
    """How the user count changes over the run."""
    rate: float | None = Field(None, gt=0)
    """Open workload: target arrivals per second at full users; None is a closed loop."""
    planners: tuple[str, ...] = ()
    """Planner labels each run asks for, in turn (none: the service's default). A started
    service serves exactly these; several compare planners under the same load."""
    host: str | None = None
    """An already running service to load; None starts one on a free loopback port."""
    processes: int = Field(1, ge=1, le=64)
    """locust processes: 1 runs locally, N > 1 a master and N workers on this machine."""
    seed: int = 0
    """Seed of the prompt draws, so a run draws the same prompts per user."""
    failing_share: float = Field(0.05, ge=0, le=1)
    """Share of run prompts meant to fail (a division by zero, an unknown todo)."""
    poll_interval_s: float = Field(0.01, gt=0, le=5)
    """First wait between polls of a run; it doubles up to one second."""
    run_timeout_s: float = Field(60.0, gt=0)
    """A run not terminal this long after submission counts as a failed `RUN`."""
    ready_timeout_s: float = Field(120.0, gt=0)
    """How long a started service may take to become ready (the model server is slow)."""
    slo: Path = DEFAULT_SLO
    """The SLO gates file."""
    baseline: Path | None = None
    """A previous `load_summary.json` to compare p95 and throughput with."""
    steps: tuple[int, ...] | None = None
    """User counts of the `step` shape, each for an equal share of the run (default: five
    equal steps up to `users`)."""
    cases: tuple[Path, ...] = (DEFAULT_CASES,)
    """The `gold` scenario's case files or directories (the eval's case format)."""
    unloaded: Unloaded | Path = "pass"
    """What the `gold` scenario's accuracy under load is compared with: `pass`, one
    unloaded pass over the cases through the same service before the load; `none`; or an
    eval run directory whose `results.jsonl` scored the same planner labels."""

    @model_validator(mode="before")
    @classmethod
    def _one_planner(cls, data: Any) -> Any:
        # Summaries written before planner lists name one `planner` (or null).
        if isinstance(data, dict) and "planner" in data:
            data = dict(data)
            planner = data.pop("planner")
            data.setdefault("planners", (planner,) if planner else ())
        return data

    @model_validator(mode="after")
    def _consistent(self) -> LoadConfig:
        if self.host is not None and not self.host.startswith(("http://", "https://")):
            raise ValueError(f"host {self.host!r} must start with http:// or https://")
        if self.steps is not None:
            if self.shape != "step":
                raise ValueError("steps are for the step shape (--shape step)")
            if not self.steps or min(self.steps) < 1:
                raise ValueError("steps must be user counts of at least 1")
            if max(self.steps) != self.users:
                raise ValueError(f"the largest step must be the users ({self.users})")
        return self

    @property
    def planner(self) -> str | None:
        """The first planner label asked for (the service default when None)."""
        return self.planners[0] if self.planners else None

    @property
    def per_user_rate(self) -> float | None:
        """Arrivals per second each user paces itself to, in an open workload."""
        return None if self.rate is None else self.rate / self.users


def dump_labels(labels: Sequence[str]) -> str:
    """Planner labels as one locust option value (labels may hold commas)."""
    return json.dumps(list(labels))


def parse_labels(text: str) -> list[str]:
    """The labels `dump_labels` wrote; any other text is one label (`--crane-planner hybrid`)."""
    if not text:
        return []
    if text.startswith("["):
        labels = json.loads(text)
        return [str(label) for label in labels]
    return [text]
