"""Errors of the unit converter.

Hierarchy::

    runtime.errors.ToolError
    └── UnitsError        the conversion has no answer (units of two kinds, below 0 K)

A `UnitsError` fails its step at once, recorded with its message; it is never retried.
"""

from __future__ import annotations

from crane_bench.runtime.errors import ToolError


class UnitsError(ToolError):
    """The converter refused a conversion.

    The units measure different things, or the temperature is below absolute zero.
    """
