"""The agent runtime under test: tools, planners, the orchestrator, the service.

`runtime` imports nothing from `evals`, `load` or `reports`: it is the system they measure.
"""

from runtime.agent import Agent
from runtime.models import Plan, PlanMeta, PlanResult, PlanStep, RunRecord, RunStatus
from runtime.orchestrator import Orchestrator, OrchestratorConfig
from runtime.settings import Settings

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
