"""The agent runtime under test: tools, planners, the orchestrator, the service.

`runtime` imports nothing from `evals`, `load` or `reports`: it is the system they measure.

The names below are imported on first use (PEP 562), not with the package: every
`crane_bench.runtime.*` import runs this file first, and a pattern `plan` needs neither
the agent nor the orchestrator (and tenacity) that `Agent` brings in.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crane_bench.runtime.agent import Agent
    from crane_bench.runtime.models import (
        Plan,
        PlanMeta,
        PlanResult,
        PlanStep,
        RunRecord,
        RunStatus,
    )
    from crane_bench.runtime.orchestrator import Orchestrator, OrchestratorConfig
    from crane_bench.runtime.settings import Settings

_HOMES = {
    "Agent": "crane_bench.runtime.agent",
    "Orchestrator": "crane_bench.runtime.orchestrator",
    "OrchestratorConfig": "crane_bench.runtime.orchestrator",
    "Plan": "crane_bench.runtime.models",
    "PlanMeta": "crane_bench.runtime.models",
    "PlanResult": "crane_bench.runtime.models",
    "PlanStep": "crane_bench.runtime.models",
    "RunRecord": "crane_bench.runtime.models",
    "RunStatus": "crane_bench.runtime.models",
    "Settings": "crane_bench.runtime.settings",
}

__all__ = [
    "Agent",
    "Orchestrator",
    "OrchestratorConfig",
    "Plan",
    "PlanMeta",
    "PlanResult",
    "PlanStep",
    "RunRecord",
    "RunStatus",
    "Settings",
]


def __getattr__(name: str) -> object:
    """Import a public name from its module the first time it is asked for."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value
