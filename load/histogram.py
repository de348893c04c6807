"""Response-time histograms as `{rounded ms: count}`: bucketing, merging, percentiles.

This is locust's own representation (`StatsEntry.response_times`, the `response_times`
of its JSON output), so the summary's percentiles are computed the same way whether
they come from locust's entries or from the per-second history. Rounding keeps about
two significant digits, which bounds a histogram to a few hundred keys and keeps the
reports that workers send to the master small.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

Histogram = dict[float, int]
"""Rounded response time in milliseconds -> number of responses."""

PERCENTILES = (0.50, 0.95, 0.99)


def bucket_ms(ms: float) -> float:
    """`ms` rounded to two significant digits (147 -> 150, 3432 -> 3400, 0.437 -> 0.44).

    Below 100 ms locust rounds to whole milliseconds; the per-second history keeps two
    digits below that too, because a pattern-planned run takes about a millisecond.
    """
    if ms <= 0 or not math.isfinite(ms):
        return 0.0
    digits = 1 - math.floor(math.log10(ms))
    return float(round(ms, digits))


def add(histogram: Histogram, ms: float, count: int = 1) -> None:
    """Count `count` responses of `ms` milliseconds into `histogram`."""
    key = bucket_ms(ms)
    histogram[key] = histogram.get(key, 0) + count


def merge(histograms: Iterable[Mapping[float, int]]) -> Histogram:
    """One histogram with the counts of all of `histograms`."""
    merged: Histogram = {}
    for histogram in histograms:
        for key, count in histogram.items():
            merged[float(key)] = merged.get(float(key), 0) + count
    return merged


def percentile(histogram: Mapping[float, int], q: float) -> float | None:
    """The smallest response time at or below which a share `q` of the responses fall.

    Returns None for an empty histogram, so "no data" is never read as "0 ms".
    """
    if not 0 <= q <= 1:
        raise ValueError(f"percentile {q} is not in [0, 1]")
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for key in sorted(histogram):
        seen += histogram[key]
        if seen >= rank:
            return float(key)
    return float(max(histogram))  # pragma: no cover - the loop always reaches rank


def percentiles(histogram: Mapping[float, int]) -> dict[str, float | None]:
    """p50, p95 and p99 of `histogram`, keyed `p50`, `p95`, `p99`."""
    return {f"p{round(q * 100)}": percentile(histogram, q) for q in PERCENTILES}
