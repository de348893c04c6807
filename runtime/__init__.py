"""The agent runtime under test: tools, planners, the orchestrator, the service.

`runtime` imports nothing from `evals`, `load` or `reports`: it is the system they measure.
"""

from crane_bench.runtime.agent import Agent
from crane_bench.runtime.models import Plan, PlanMeta, PlanResult, PlanStep, RunRecord, RunStatus
from crane_bench.runtime.orchestrator import Orchestrator, OrchestratorConfig
from crane_bench.runtime.settings import Settings

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
