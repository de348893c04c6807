"""Scenario `calculator`: arithmetic prompts, each submitted and polled to the end.

Run it alone: `locust -f load/scenarios/calculator.py -H http://127.0.0.1:8000`.
"""

from __future__ import annotations

from locust import task

from crane_bench.load.scenarios.base import CraneUser


class CalculatorUser(CraneUser):
    """Asks for sums: one calculator step per run (a few prompts are meant to fail)."""

    @task
    def calculate(self) -> None:
        """Submit an arithmetic prompt and follow the run."""
        self.run_prompt("calculator")
