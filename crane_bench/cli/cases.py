"""`crane-bench cases`: the gold-case format (its JSON schema) and checking case files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from crane_bench.cli.common import fail, require_extra

cases_app = typer.Typer(
    help="Gold cases: print the file format's JSON schema, check case files.",
    no_args_is_help=True,
)

PathsArg = Annotated[
    list[Path], typer.Argument(help="Case files (.yaml/.yml) or directories holding them.")
]


@cases_app.command()
def schema() -> None:
    """Print the JSON schema of a case file (a list of cases)."""
    require_extra("eval")
    from crane_bench.evals.cases import case_json_schema  # noqa: PLC0415 - evals loads pandas and scipy

    typer.echo(json.dumps(case_json_schema(), indent=2, ensure_ascii=False))


@cases_app.command()
def check(paths: PathsArg) -> None:
    """Validate case files and print the number of cases per category.

    Exit 0 when every case is well formed; otherwise print one line naming the file, the
    case and the field, and exit 2.
    """
    require_extra("eval")
    from crane_bench.evals.cases import KNOWN_CATEGORIES, count_by_category, load_cases  # noqa: PLC0415
    from crane_bench.evals.errors import CaseFormatError  # noqa: PLC0415 - evals loads pandas and scipy

    try:
        cases = load_cases(paths)
    except CaseFormatError as exc:
        # Messages quote pydantic patterns like [a-z0-9]; rich would read them as markup.
        fail(str(exc))
    counts = count_by_category(cases)
    width = max([len("total"), *map(len, counts)])
    for category, count in counts.items():
        known = "" if category in KNOWN_CATEGORIES else "  (not a well-known category)"
        typer.echo(f"{category:<{width}}  {count:>4}{known}")
    typer.echo(f"{'total':<{width}}  {len(cases):>4}")
