"""The `unit_converter` tool: a value between units of one kind.

Its planner knowledge is in `plugin` (rules in `rules`, cue in `cue`, answer fields in
`answer`).
"""

from crane_bench.runtime.tools.units.errors import UnitsError
from crane_bench.runtime.tools.units.tool import (
    UNITS,
    Kind,
    Unit,
    UnitConverterTool,
    UnitsInput,
    convert,
    kind_of,
)

__all__ = [
    "UNITS",
    "Kind",
    "Unit",
    "UnitConverterTool",
    "UnitsError",
    "UnitsInput",
    "convert",
    "kind_of",
]
