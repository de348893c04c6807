"""The per-second history of a load run: requests, failures, latency, users and arrivals.

`HistoryRecorder` is filled inside the locust process (from the `request` event, and a
user-count sample each second); in a distributed run each worker drains its buckets
into the report it sends the master, which merges them. Its rows go to `history.csv`,
one row per second and request type (plus `HTTP`, all HTTP requests together), with
that second's own percentiles, not cumulative ones: that is what a chart of latency
over time needs. Plain data, no locust import, so it is tested without gevent.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ConfigDict

from crane_bench.load import histogram
from crane_bench.load.stats import HTTP, RUN

COLUMNS: Final = (
    "t", "timestamp", "users", "arrivals", "request_type",
    "requests", "failures", "p50_ms", "p95_ms", "p99_ms",
)  # fmt: skip


class HistoryRow(BaseModel):
    """One second of one request type."""

    model_config = ConfigDict(extra="forbid")

    t: int
    """Seconds since the first recorded second."""
    timestamp: int
    """Unix time of the second."""
    users: int
    arrivals: int
    request_type: str
    requests: int
    failures: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


class _Bucket:
    __slots__ = ("failures", "histogram", "requests")

    def __init__(self) -> None:
        self.requests = 0
        self.failures = 0
        self.histogram: histogram.Histogram = {}


class HistoryRecorder:
    """Per-second buckets of one load run, mergeable across processes."""

    def __init__(self) -> None:
        self._buckets: defaultdict[int, defaultdict[str, _Bucket]] = defaultdict(
            lambda: defaultdict(_Bucket)
        )
        self._arrivals: defaultdict[int, int] = defaultdict(int)
        self._users: list[tuple[float, int]] = []  # (Unix time, user count), in order
        self._unfinished = 0

    def request(self, second: int, request_type: str, ms: float | None, failed: bool) -> None:
        """Count one request (HTTP or `RUN`) that ended in `second` (Unix time)."""
        bucket = self._buckets[second][request_type]
        bucket.requests += 1
        bucket.failures += int(failed)
        if ms is not None:
            histogram.add(bucket.histogram, ms)

    def arrival(self, second: int) -> None:
        """Count one arrival: a task iteration that began its first request."""
        self._arrivals[second] += 1

    def users(self, at: float, count: int) -> None:
        """Record that `count` users ran from `at` (Unix time) until the next sample."""
        self._users.append((at, count))

    def unfinished_run(self) -> None:
        """Count a run still in flight when its user was stopped (the test ended)."""
        self._unfinished += 1

    @property
    def unfinished_runs(self) -> int:
        """Runs submitted but not finished when their users stopped."""
        return self._unfinished

    @property
    def arrivals_total(self) -> int:
        """Arrivals recorded so far."""
        return sum(self._arrivals.values())

    def user_seconds(self, until: float) -> float:
        """Users times seconds from the first sample to `until`.

        Each sample's count holds until the next one. Times an open workload's per-user
        rate, this is the number of arrivals the target asks for.
        """
        if not self._users:
            return 0.0
        total = 0.0
        for (at, count), (following, _) in zip(
            self._users, [*self._users[1:], (until, 0)], strict=True
        ):
            total += count * max(min(following, until) - at, 0.0)
        return total

    def _users_by_second(self, first: int, last: int) -> dict[int, int]:
        """The most users seen in each second; a second without a sample keeps the last."""
        counts: dict[int, int] = {}
        samples = iter(self._users)
        sample = next(samples, None)
        current = 0
        for second in range(first, last + 1):
            peak = current
            while sample is not None and sample[0] < second + 1:
                current = sample[1]
                peak = max(peak, current) if sample[0] >= second else current
                sample = next(samples, None)
            counts[second] = peak
        return counts

    def drain(self) -> dict[str, Any]:
        """The buckets as JSON-safe data, emptied here: what a worker reports to the master."""
        data = {
            "buckets": {
                str(second): {
                    kind: [b.requests, b.failures, {str(k): v for k, v in b.histogram.items()}]
                    for kind, b in kinds.items()
                }
                for second, kinds in self._buckets.items()
            },
            "arrivals": {str(second): n for second, n in self._arrivals.items()},
            "unfinished": self._unfinished,
        }
        self._buckets.clear()
        self._arrivals.clear()
        self._unfinished = 0
        return data

    def merge(self, data: Mapping[str, Any]) -> None:
        """Add what `drain` returned (in another process) to these buckets."""
        for second, kinds in data.get("buckets", {}).items():
            for kind, (requests, failures, hist) in kinds.items():
                bucket = self._buckets[int(second)][kind]
                bucket.requests += requests
                bucket.failures += failures
                for key, count in hist.items():
                    histogram.add(bucket.histogram, float(key), count)
        for second, count in data.get("arrivals", {}).items():
            self._arrivals[int(second)] += count
        self._unfinished += int(data.get("unfinished", 0))

    def rows(self) -> list[HistoryRow]:
        """Every second from the first to the last recorded, per request type and `HTTP`."""
        seconds = set(self._buckets) | set(self._arrivals)
        if not seconds:
            return []
        types = sorted({kind for kinds in self._buckets.values() for kind in kinds})
        first, last = min(seconds), max(seconds)
        users = self._users_by_second(first, last)
        rows: list[HistoryRow] = []
        for second in range(first, last + 1):
            kinds: dict[str, _Bucket] = self._buckets.get(second, {})
            http = [b for kind, b in kinds.items() if kind != RUN]
            groups = {kind: [kinds[kind]] if kind in kinds else [] for kind in types}
            if any(kind != RUN for kind in types):
                groups[HTTP] = http
            for kind, buckets in groups.items():
                hist = histogram.merge(b.histogram for b in buckets)
                pcts = histogram.percentiles(hist)
                rows.append(
                    HistoryRow(
                        t=second - first,
                        timestamp=second,
                        users=users[second],
                        arrivals=self._arrivals.get(second, 0),
                        request_type=kind,
                        requests=sum(b.requests for b in buckets),
                        failures=sum(b.failures for b in buckets),
                        p50_ms=pcts["p50"],
                        p95_ms=pcts["p95"],
                        p99_ms=pcts["p99"],
                    )
                )
        return rows


def write_history(rows: list[HistoryRow], path: Path) -> None:
    """Write `rows` as CSV with the header `COLUMNS`; empty percentiles are blank."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.model_dump().items()})


def read_history(path: Path) -> list[HistoryRow]:
    """Read a `history.csv` back into rows."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            HistoryRow.model_validate({k: (v if v != "" else None) for k, v in row.items()})
            for row in csv.DictReader(handle)
        ]
