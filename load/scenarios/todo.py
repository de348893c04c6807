"""Scenario `todo`: todo-list prompts, each submitted and polled to the end.

Run it alone: `locust -f load/scenarios/todo.py -H http://127.0.0.1:8000`.
"""

from __future__ import annotations

from locust import task

from crane_bench.load.scenarios.base import CraneUser


class TodoUser(CraneUser):
    """Adds, lists and completes todos (each run has a fresh store)."""

    @task
    def manage_todos(self) -> None:
        """Submit a todo prompt and follow the run."""
        self.run_prompt("todo")
