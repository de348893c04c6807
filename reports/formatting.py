"""Numbers as the reports print them: rounded for reading, never more digits than they carry.

Rates are percentages with one decimal, intervals likewise; latencies and other measures
keep three significant digits (0.123, 12.3, 1,234); counts get thousands separators. A
missing value is an en dash, never `nan` or `0`. Templates only print these strings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

MISSING: Final = "–"


@dataclass(frozen=True)
class Cell:
    """One table cell, formatted: `sub` is a second, quieter line (an interval)."""

    text: str
    numeric: bool = True
    sub: str = ""
    tone: str = ""
    """A CSS hint: `good`, `bad`, `muted`, or empty."""
    title: str = ""
    """Shown on hover: the exact value where the text rounds it."""


def _missing(value: float | None) -> bool:
    return value is None or not math.isfinite(value)


def pct(value: float | None, digits: int = 1) -> str:
    """0.8482 -> `84.8%`."""
    if value is None or _missing(value):
        return MISSING
    return f"{value * 100:.{digits}f}%"


def interval(bounds: tuple[float, float] | None, digits: int = 1) -> str:
    """A rate interval in percent: (0.79, 0.892) -> `79.0–89.2`."""
    if bounds is None:
        return MISSING
    low, high = bounds
    return f"{low * 100:.{digits}f}–{high * 100:.{digits}f}"


def sig(value: float | None, digits: int = 3) -> str:
    """Three significant digits, whole numbers with separators from 1,000 up."""
    if value is None or _missing(value):
        return MISSING
    if value == 0:
        return "0"
    if abs(value) >= 10 ** (digits - 1):
        return f"{value:,.0f}"
    decimals = digits - 1 - math.floor(math.log10(abs(value)))
    return f"{value:.{max(decimals, 0)}f}"


def count(value: int | None) -> str:
    """10000 -> `10,000`."""
    return MISSING if value is None else f"{value:,}"


def plural(n: int, word: str) -> str:
    """`1 gate`, `3 gates`, `1,200 trials`."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def verdict_text(failed: int, ran: int, what: str) -> str:
    """`2 of 9 gates failed`, `all 9 gates passed`, `the 1 gate passed`, `no gates ran`."""
    if failed:
        return f"{failed} of {plural(ran, what)} failed"
    if not ran:
        return f"no {what}s ran"
    return f"the {what} passed" if ran == 1 else f"all {plural(ran, what)} passed"


def p_value(value: float) -> str:
    """`p = 0.012`, `p = 0.41`, `p < 0.001`, `p = 1`."""
    if value < 0.001:
        return "p < 0.001"
    if value >= 0.9995:
        return "p = 1"
    if value < 0.01:
        return f"p = {value:.3f}"
    return f"p = {value:.2f}"


def usd(value: float | None) -> str:
    """Dollars with two significant digits: `$0.00012`, `$1.5`, `$0`."""
    if value is None or _missing(value):
        return MISSING
    if value == 0:
        return "$0"
    return f"${value:.2g}" if value < 1000 else f"${value:,.0f}"


def ms(value: float | None) -> str:
    """Milliseconds, three significant digits, no unit (the header carries it)."""
    return sig(value)


def duration(seconds: float) -> str:
    """`0.24 s`, `42 s`, `3 min 05 s`, `1 h 02 min`."""
    if seconds < 60:
        return f"{sig(seconds, 2)} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def timestamp(when: datetime, *, seconds: bool = True) -> str:
    """`2026-11-24 09:10:12 UTC` (naive times are taken as UTC)."""
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")


def rate_cell(value: float | None, bounds: tuple[float, float] | None) -> Cell:
    """A rate with its 95% interval beneath."""
    title = "" if value is None else f"{value:.6f}"
    sub = interval(bounds) if bounds is not None else ""
    return Cell(pct(value), sub=sub, title=title)
