"""Noticing that the host under load went away, so the load stops instead of hammering it.

A host that dies mid-run (a crash, a deploy, a kill) refuses every connection from then
on; without a watch, the users go on failing at full speed (tens of thousands of
refusals) until the run time is up, and the figures mix the run with its wreck. So each
locust process counts the requests in a row that got no answer at all (no HTTP status:
refused, reset, timed out); any answer, even a 500, resets the count. At
`--crane-max-unanswered` (default `MAX_UNANSWERED`) the host counts as gone: the process
tells the master (`GONE_MESSAGE`; a local runner tells itself), which quits the run. The
result and the summary say when the host went away (`HostGone`), and a gate,
`host_answered`, fails.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from pydantic import BaseModel, ConfigDict

from crane_bench.load.checks import gate_check
from crane_bench.plumbing.gates import GateCheck

MAX_UNANSWERED: Final = 5
"""Requests in a row with no answer at all that mean the host is gone (0: never stop)."""
GONE_MESSAGE: Final = "crane_host_gone"
"""The locust message a process sends its master (or itself) when the host is gone."""


class HostGone(BaseModel):
    """When and how the host under load stopped answering."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    at: datetime
    """The first request of the run of unanswered ones: when the host went away."""
    after_s: float | None = None
    """Seconds from the start of the load to `at`."""
    failures: int
    """Requests in a row that got no answer, when the load was stopped."""
    error: str
    """What the last of them got instead of an answer (`ConnectionRefusedError`)."""

    def describe(self, host: str) -> str:
        """One line: the host, when it went away, and what the requests got."""
        when = f"{self.at:%H:%M:%S} UTC"
        if self.after_s is not None:
            when += f", {self.after_s:.1f} s into the load"
        return (
            f"{host} stopped answering at {when}: {self.failures} requests in a row got no "
            f"answer ({self.error}); the load was stopped"
        )


class HostWatch:
    """Counts the requests in a row that got no answer; says when they mean the host is gone.

    Args:
        limit: Unanswered requests in a row that mean the host is gone; 0 never does.
    """

    def __init__(self, limit: int = MAX_UNANSWERED) -> None:
        self.limit = limit
        self.gone: HostGone | None = None
        self._streak = 0
        self._first_at = 0.0

    def saw(self, response: Any, at: float) -> HostGone | None:
        """Note one HTTP request's response (`at`: epoch seconds it started).

        Returns:
            The `HostGone` the moment this request makes the host count as gone; None
            otherwise (also before and after that moment).
        """
        if self.gone is not None or self.limit <= 0:
            return None
        if getattr(response, "status_code", None):
            self._streak = 0
            return None
        if self._streak == 0:
            self._first_at = at
        self._streak += 1
        if self._streak < self.limit:
            return None
        error = getattr(response, "error", None)
        self.gone = HostGone(
            at=datetime.fromtimestamp(self._first_at, UTC),
            failures=self._streak,
            error=type(error).__name__ if error is not None else "no answer",
        )
        return self.gone


def host_check(gone: HostGone | None, host: str) -> GateCheck:
    """`host_answered`: passes while the host answered to the end of the load."""
    if gone is None:
        return gate_check("host_answered", "pass", "the host answered to the end")
    return gate_check("host_answered", "fail", gone.describe(host))
