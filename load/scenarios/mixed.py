"""Scenario `mixed`: calculator 70%, todo 20%, health 10% of the task iterations.

Run it alone: `locust -f load/scenarios/mixed.py -H http://127.0.0.1:8000`.
"""

from __future__ import annotations

from locust import task

from crane_bench.load.scenarios.base import CraneUser, status_is


class MixedUser(CraneUser):
    """Traffic as a front end might send it: mostly sums, some todos, a health check."""

    @task(70)
    def calculate(self) -> None:
        """Submit an arithmetic prompt and follow the run."""
        self.run_prompt("calculator")

    @task(20)
    def manage_todos(self) -> None:
        """Submit a todo prompt and follow the run."""
        self.run_prompt("todo")

    @task(10)
    def health(self) -> None:
        """Check the health report."""
        self.probe("/api/v1/health", status_is("ok"))
