"""The service's own counts: `/metrics` scraped before and after the load, then subtracted.

The service exposes Prometheus text (`crane_runs_total{planner,status}`,
`crane_step_retries_total{tool}`, ...). The difference of two scrapes is what this load
caused, whatever ran before it. A target without `/metrics` (another service, a fault
injector) is not an error: the summary then says why it has no server counts.
"""

from __future__ import annotations

from collections import defaultdict

import httpx
from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel, ConfigDict

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
"""(sample name, sorted labels) -> value."""

NAMESPACE = "crane_"


class ServerCounts(BaseModel):
    """What the service counted during the load (after minus before)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    runs_by_status: dict[str, int]
    runs_by_planner: dict[str, int]
    step_retries: int
    fallbacks: dict[str, int]
    """Hybrid planner fallbacks by reason."""
    rejected: dict[str, int]
    """Submissions refused (busy, shutting down) by reason."""
    timeouts: dict[str, int]
    """By scope: step or run."""
    runs_in_flight_after: int
    """Runs still pending or running at the second scrape."""


def parse(text: str) -> Samples:
    """The `crane_*` samples of a Prometheus text exposition."""
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.startswith(NAMESPACE):
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def scrape(client: httpx.Client, base_url: str) -> Samples:
    """GET `<base_url>/metrics` and parse it.

    Raises:
        httpx.HTTPError: The request failed or answered with an error status.
        ValueError: The answer is not Prometheus text.
    """
    answer = client.get(base_url.rstrip("/") + "/metrics")
    answer.raise_for_status()
    return parse(answer.text)


def _by(samples: Samples, name: str, label: str) -> dict[str, float]:
    found: defaultdict[str, float] = defaultdict(float)
    for (sample, labels), value in samples.items():
        if sample == name:
            found[dict(labels).get(label, "")] += value
    return dict(found)


def _delta(before: Samples, after: Samples, name: str, label: str) -> dict[str, int]:
    old = _by(before, name, label)
    new = _by(after, name, label)
    counts = {key: round(value - old.get(key, 0.0)) for key, value in new.items()}
    return {key: n for key, n in sorted(counts.items()) if n}


def counts_between(before: Samples, after: Samples) -> ServerCounts:
    """What the service counted between two scrapes."""
    in_flight = _by(after, "crane_runs_in_flight", "")
    return ServerCounts(
        runs_by_status=_delta(before, after, "crane_runs_total", "status"),
        runs_by_planner=_delta(before, after, "crane_runs_total", "planner"),
        step_retries=sum(_delta(before, after, "crane_step_retries_total", "tool").values()),
        fallbacks=_delta(before, after, "crane_planner_fallbacks_total", "reason"),
        rejected=_delta(before, after, "crane_runs_rejected_total", "reason"),
        timeouts=_delta(before, after, "crane_timeouts_total", "scope"),
        runs_in_flight_after=round(sum(in_flight.values())),
    )
