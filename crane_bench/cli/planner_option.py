"""`--planner` of `plan` and `run`: a planner name, or one planner spec as for eval.

A name (`pattern`, `llm`, `hybrid`) sets the `PLANNER` setting, as it always did; with
no option the setting chooses. Anything else is one planner spec
(`runtime.planners.specs`: `hybrid[strategy=pattern-first]`, `llm[mode=oneshot]`,
`mine=my_package.planners:build`), validated before any work, so a bad one is one line
and exit 2, as for `eval --planners`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, cast

import typer

from crane_bench.cli.common import fail, load_settings
from crane_bench.runtime.errors import ConfigError

if TYPE_CHECKING:
    from crane_bench.runtime.planners.specs import PlannerSpec
    from crane_bench.runtime.settings import PlannerName, Settings

PlannerOpt = Annotated[
    str | None,
    typer.Option(
        "--planner",
        "-p",
        # typer renders help as rich markup: "\\[" shows a literal bracket.
        help="Which planner makes the plan: pattern, llm, hybrid, or one planner spec, "
        "\\[LABEL=]NAME\\[\\[key=value,...]] or module.path:attr, as for eval --planners "
        "(quote it for the shell, e.g. 'hybrid\\[strategy=pattern-first]').",
        show_default="PLANNER or pattern",
    ),
]


def planner_settings(planner: str | None) -> tuple[Settings, PlannerSpec]:
    """The settings, and the spec of the planner to use: `--planner`'s, else `PLANNER`'s.

    A bad spec, or a list of them, ends the command with one line and exit 2.
    """
    # Imported when a command runs: `--help` needs no spec parser.
    from crane_bench.runtime.planners.specs import BUILTIN, parse_spec, parse_specs  # noqa: PLC0415

    if planner is None or planner in BUILTIN:
        settings = load_settings(cast("PlannerName | None", planner))
        return settings, parse_spec(settings.planner)
    try:
        specs = parse_specs(planner)
    except ConfigError as exc:
        fail(str(exc).replace("--planners:", "--planner:", 1))
    if len(specs) != 1:
        fail(f"--planner: one planner, not a list of {len(specs)}: {planner!r}")
    return load_settings(), specs[0]
