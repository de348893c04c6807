"""The locust files: one `User` class per scenario, plus the shape file.

Each `<scenario>.py` here is a plain locust file (`locust -f load/scenarios/mixed.py`);
`shape.py` adds a load shape when given as a second file
(`-f load/scenarios/mixed.py,load/scenarios/shape.py --crane-shape spike`). This
package's `__init__` imports nothing from locust, so the runner can find the files
without gevent's monkey-patching.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from crane_bench.load.config import Scenario

DIRECTORY: Final = Path(__file__).resolve().parent
SHAPE_FILE: Final = DIRECTORY / "shape.py"


def scenario_file(scenario: Scenario) -> Path:
    """The locust file of `scenario`."""
    return DIRECTORY / f"{scenario}.py"


__all__ = ["DIRECTORY", "SHAPE_FILE", "scenario_file"]
