"""Scenario `health`: the probes and metrics endpoints, as monitoring would call them.

Run it alone: `locust -f load/scenarios/health.py -H http://127.0.0.1:8000`.
"""

from __future__ import annotations

from locust import task

from crane_bench.load.scenarios.base import CraneUser, contains, status_is


class HealthUser(CraneUser):
    """Probes like an orchestrator (liveness, readiness) and scrapes like Prometheus."""

    @task(3)
    def liveness(self) -> None:
        """The liveness probe answers `alive`."""
        self.probe("/api/v1/health/liveness", status_is("alive"))

    @task(3)
    def readiness(self) -> None:
        """The readiness probe answers `ready`."""
        self.probe("/api/v1/health/readiness", status_is("ready"))

    @task(2)
    def health(self) -> None:
        """The health report says `ok` (a configured model endpoint answers)."""
        self.probe("/api/v1/health", status_is("ok"))

    @task(1)
    def metrics_json(self) -> None:
        """The JSON metrics digest."""
        self.probe("/api/v1/health/metrics", contains(b'"runs_total"'))

    @task(1)
    def prometheus(self) -> None:
        """The Prometheus exposition."""
        self.probe("/metrics", contains(b"crane_runs_in_flight"))
