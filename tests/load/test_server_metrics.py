"""Server counts from two scrapes of a Prometheus exposition."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from crane_bench.load.server_metrics import counts_between, parse, scrape


class Service:
    """The service's metric names, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ns, reg = "crane", self.registry
        self.runs = Counter("runs", "", ["planner", "status"], namespace=ns, registry=reg)
        self.retries = Counter("step_retries", "", ["tool"], namespace=ns, registry=reg)
        self.fallbacks = Counter("planner_fallbacks", "", ["reason"], namespace=ns, registry=reg)
        self.rejected = Counter("runs_rejected", "", ["reason"], namespace=ns, registry=reg)
        self.in_flight = Gauge("runs_in_flight", "", namespace=ns, registry=reg)
        Counter("other", "", registry=reg).inc()  # not ours: ignored

    def text(self) -> str:
        return generate_latest(self.registry).decode()


def test_counts_are_what_happened_between_the_scrapes() -> None:
    service = Service()
    service.runs.labels("pattern", "completed").inc(5)
    before = parse(service.text())
    service.runs.labels("pattern", "completed").inc(90)
    service.runs.labels("pattern", "failed").inc(4)
    service.runs.labels("hybrid", "completed").inc(6)
    service.retries.labels("calculator").inc(3)
    service.fallbacks.labels("timeout").inc(2)
    service.rejected.labels("busy").inc(1)
    service.in_flight.set(2)
    counts = counts_between(before, parse(service.text()))
    assert counts.runs_by_status == {"completed": 96, "failed": 4}
    assert counts.runs_by_planner == {"hybrid": 6, "pattern": 94}
    assert counts.step_retries == 3
    assert counts.fallbacks == {"timeout": 2}
    assert counts.rejected == {"busy": 1}
    assert counts.timeouts == {}
    assert counts.runs_in_flight_after == 2
    assert all(name.startswith("crane_") for name, _ in parse(service.text()))


def test_scrape_reads_metrics_over_http_and_raises_on_errors() -> None:
    service = Service()
    service.runs.labels("pattern", "completed").inc()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "down":
            return httpx.Response(500)
        return httpx.Response(200, text=service.text())

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        samples = scrape(client, "http://svc/")
        assert samples[("crane_runs_total", (("planner", "pattern"), ("status", "completed")))] == 1
        with pytest.raises(httpx.HTTPStatusError):
            scrape(client, "http://down")
