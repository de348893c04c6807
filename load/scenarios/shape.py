"""The load shape: add this file to a scenario's to vary the user count over time.

`locust -f load/scenarios/mixed.py,load/scenarios/shape.py --headless -u 50 -r 10
-t 2m --crane-shape step`. It reads `-u`, `-r` and `-t` (`use_common_options`) and
`--crane-shape` (steady, step, spike, soak; see `load/shapes.py`). Without this file
locust runs its own steady load.
"""

from __future__ import annotations

import time
from typing import Any

from locust import LoadTestShape, events

from crane_bench.load.config import SHAPES
from crane_bench.load.shapes import Stage, at, plan_of

DEFAULT_RUN_TIME_S = 60.0


def add_shape_argument(parser: Any) -> None:
    """Register `--crane-shape` and `--crane-steps`."""
    parser.add_argument(
        "--crane-shape", choices=SHAPES, default="steady", help="How users vary over the run."
    )
    parser.add_argument(
        "--crane-steps",
        default="",
        help="The step shape's user counts, comma-separated (default: five equal steps).",
    )


_global_events: Any = events  # locust's event hooks are untyped
_global_events.init_command_line_parser.add_listener(add_shape_argument)


class CraneShape(LoadTestShape):
    """Follows the stages of the chosen shape, then ends the run."""

    use_common_options = True
    _plan: list[Stage] | None = None

    def _stages(self) -> list[Stage]:
        if self._plan is None:
            options = self.runner.environment.parsed_options if self.runner else None
            self._plan = plan_of(options, DEFAULT_RUN_TIME_S)
        return self._plan

    def tick(self) -> tuple[int, float] | None:
        """`(users, spawn_rate)` now, or None when the run is over."""
        return at(self._stages(), time.perf_counter() - self.start_time)
