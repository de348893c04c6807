"""Response-time histograms."""

from __future__ import annotations

from typing import Any

import pytest

from crane_bench.load import histogram


@pytest.mark.parametrize(
    ("ms", "bucket"), [(147, 150), (3432, 3400), (0.437, 0.44), (12.34, 12), (0, 0), (-1, 0)]
)
def test_buckets_keep_two_significant_digits(ms: float, bucket: float) -> None:
    assert histogram.bucket_ms(ms) == bucket


def test_percentiles_of_a_known_histogram() -> None:
    hist: histogram.Histogram = {}
    for ms in range(1, 101):
        histogram.add(hist, ms)
    assert histogram.percentile(hist, 0.5) == 50
    assert histogram.percentile(hist, 0.95) == 95
    assert histogram.percentile(hist, 1.0) == 100
    assert histogram.percentile(hist, 0.0) == 1
    assert histogram.percentiles(hist) == {"p50": 50, "p95": 95, "p99": 99}


def test_an_empty_histogram_has_no_percentile() -> None:
    assert histogram.percentile({}, 0.95) is None
    with pytest.raises(ValueError, match="percentile"):
        histogram.percentile({1.0: 1}, 95)


def test_merge_adds_counts_and_reads_string_keys() -> None:
    from_json: dict[Any, int] = {"5": 1}  # keys of locust's JSON output are strings
    merged = histogram.merge([{1.0: 2, 5.0: 1}, {1: 3}, from_json])
    assert merged == {1.0: 5, 5.0: 2}
