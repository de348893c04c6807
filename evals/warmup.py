"""The warm-up: one untimed plan per planner before its first timed trial.

A planner's first plan pays one-off costs that no later plan pays: lazy imports, compiling
its rules' regular expressions, a model server loading weights into memory or building its
first prompt cache. Timed, that one trial stands for the cold start, not for the planner:
on the gold suite the rules' first plan took 60 ms where every other took under 2 ms, and a
p95 of a few hundred trials, or a sequential latency gate read after a few dozen, counts it
heavily.

So before any trial each planner plans `PROMPT` once: a fixed prompt that is not a gold
case (`tests/evals/test_warmup.py` checks every case file), which touches both tools so
that the rules of each are exercised. Its plan is discarded: it is not a trial, has no row,
is not scored and counts in no metric, so accuracy is exactly what it would be without it.
Its planning time and any error are recorded in the summary's `latency_measurement.warmup`
and named in the latency note, so the cold start stays visible; it is just not one of the
latencies the percentiles are taken over. It runs in full runs and sequential ones alike,
and again when a run is resumed (a new process is cold again). A warm-up that fails (a
model server that does not answer) is recorded, not raised: the trials then report the
failure themselves. With the response cache on, a model planner's warm-up may be answered
from it and warm nothing but the process; `--no-cache` (which latency should be measured
with anyway) warms the server too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Final

from pydantic import BaseModel, ConfigDict

from crane_bench.evals.llm_cache import CacheStats, cache_stats
from crane_bench.runtime.masking import mask
from crane_bench.runtime.planners.base import Planner, plan_with

PROMPT: Final = "Add a todo to water the plants, then work out 17 * 23 and list my todos"
"""The warm-up prompt: both tools, and not a gold case."""
_MAX_ERROR: Final = 300


class WarmUp(BaseModel):
    """One planner's warm-up plan."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    planner: str
    prompt: str
    latency_ms: float
    """Its planning time: the cold start that the latency figures leave out."""
    model_calls: int = 0
    """Model calls it made (one more per model planner than its trials made)."""
    cached: bool = False
    """Every model answer came from the response cache (the server stayed cold)."""
    error: str | None = None
    """Why the plan failed, when it did (the run goes on)."""


async def _one(label: str, planner: Planner, timeout_s: float, secrets: Sequence[str]) -> WarmUp:
    stats = CacheStats()
    cache_stats.set(stats)  # this task's own context, as a trial's
    began = time.perf_counter()
    error: str | None = None
    calls = 0
    try:
        async with asyncio.timeout(timeout_s):
            result = await plan_with(planner, PROMPT, None)
        calls = result.meta.model_calls
    except TimeoutError:
        error = f"timed out after {timeout_s:g} s"
    except Exception as exc:  # noqa: BLE001 - a failed warm-up is recorded; the trials go on
        # A server may quote the key back in its error (a 401): masked, as transcripts are.
        text = mask(" ".join(str(exc).split()), secrets)
        error = f"{type(exc).__name__}: {text}"[:_MAX_ERROR]
    elapsed = (time.perf_counter() - began) * 1000
    return WarmUp(
        planner=label,
        prompt=PROMPT,
        latency_ms=round(elapsed, 3),
        model_calls=calls,
        cached=stats.fully_cached,
        error=error,
    )


async def warm_up(
    planners: Mapping[str, Planner], timeout_s: float, secrets: Sequence[str] = ()
) -> list[WarmUp]:
    """Plan `PROMPT` once with each planner, one after another, before any trial.

    Args:
        planners: The run's planners by label (those with trials left).
        timeout_s: The case timeout, which bounds each warm-up plan too.
        secrets: Masked in a recorded error (the API key).
    """
    found = []
    for label, planner in planners.items():
        # Its own task, so that its cache counters are its own (as a trial's are).
        found.append(await asyncio.create_task(_one(label, planner, timeout_s, secrets)))
    return found


def describe(warmups: list[WarmUp]) -> str:
    """The warm-ups in one sentence, for the latency note."""
    if not warmups:
        return "No planner ran a trial in this process, so none was warmed up."
    each = ", ".join(
        f"{w.planner} {w.latency_ms:.0f} ms" + (f" ({w.error})" if w.error else "") for w in warmups
    )
    return (
        f"Before its first timed trial each planner planned one untimed warm-up prompt, not a "
        f'gold case ("{PROMPT}"); it is not a trial and is left out of every metric, so the '
        f"latency figures exclude that one-off cold start (warm-up: {each})."
    )
