"""One gate model for eval quality gates and load SLO gates.

A check has a name, a status, one line of message that starts with the status
(`FAIL p95_ms[RUN]: 14 > 0.001 ms`, `PASS pattern plan_accuracy 0.912 >= 0.850`), and,
when it compared numbers, the measured value and the limit it was held to. Eval and load
runs record their gates with it, and reports and CI outputs render both the same way.

Files written before the two kinds shared this model still read: the eval shape
(`passed`, `skipped`, `improved`, `threshold`) and the load shape (`outcome`, `actual`,
`detail`) are translated on the way in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

GateStatus = Literal["pass", "fail", "skip", "improved"]
"""`improved`: a regression check found the run significantly better (it passes)."""


def _old_status(data: dict[str, Any]) -> GateStatus:
    if "outcome" in data:  # a load check
        status: GateStatus = data["outcome"]
        return status
    if data.get("skipped"):
        return "skip"
    if data.get("improved"):
        return "improved"
    return "pass" if data.get("passed") else "fail"


class GateCheck(BaseModel):
    """The result of one check."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    name: str
    status: GateStatus
    message: str
    """One line starting PASS, FAIL, SKIP or IMPROVED."""
    value: float | None = None
    """The measured value (a p-value for the paired regression test)."""
    limit: float | None = None
    """The value it was compared with (alpha for the paired regression test)."""

    @model_validator(mode="before")
    @classmethod
    def _older_shapes(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "status" in data:
            return data
        status = _old_status(data)
        message: Any
        if "outcome" in data:
            message = f"{status.upper()} {data['name']}: {data.get('detail', '')}"
            value, limit = data.get("actual"), data.get("limit")
        else:
            message, value, limit = data.get("message"), data.get("value"), data.get("threshold")
        return {"name": data.get("name"), "status": status, "message": message} | {
            "value": value,
            "limit": limit,
        }

    @property
    def passed(self) -> bool:
        """The check ran and held (an improvement holds)."""
        return self.status in ("pass", "improved")

    @property
    def skipped(self) -> bool:
        """The check could not run (its data is missing); it neither passes nor fails."""
        return self.status == "skip"

    @property
    def failed(self) -> bool:
        """The check ran and did not hold."""
        return self.status == "fail"

    @property
    def improved(self) -> bool:
        """A regression check found the run significantly better than its baseline."""
        return self.status == "improved"


class GateReport(BaseModel):
    """Every check of a run; `passed` is False iff a check that ran failed."""

    model_config = ConfigDict(extra="forbid")

    passed: bool
    checks: list[GateCheck]

    @classmethod
    def of(cls, checks: Sequence[GateCheck]) -> GateReport:
        """The report of `checks`."""
        return cls(passed=not any(check.failed for check in checks), checks=list(checks))

    @property
    def failures(self) -> list[GateCheck]:
        """The checks that ran and failed."""
        return [check for check in self.checks if check.failed]

    @property
    def improvements(self) -> list[GateCheck]:
        """The regression checks that found an improvement."""
        return [check for check in self.checks if check.improved]
