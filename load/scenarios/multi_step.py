"""Scenario `multi_step`: prompts that plan two or three tool calls.

Run it alone: `locust -f load/scenarios/multi_step.py -H http://127.0.0.1:8000`.
"""

from __future__ import annotations

from locust import task

from crane_bench.load.scenarios.base import CraneUser


class MultiStepUser(CraneUser):
    """Asks for a todo and a sum in one prompt, or several todos then the list."""

    @task
    def chain(self) -> None:
        """Submit a multi-step prompt and follow the run."""
        self.run_prompt("multi_step")
