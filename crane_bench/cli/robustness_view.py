"""Rich tables of the robustness sets' figures and of a before/after comparison.

What `crane-bench robustness` prints (`evals.robustness_set_figures`,
`evals.robustness_compare` compute it).
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from crane_bench.evals.robustness_compare import RunComparison
from crane_bench.evals.robustness_set_figures import (
    OodFigures,
    PairRef,
    ParaphraseFigures,
    SetFigures,
)
from crane_bench.evals.robustness_sets import set_suffix
from crane_bench.evals.stats import Interval

DEV = "dev"
"""The sets for tuning (`paraphrase_dev`, `ood_dev`): their failures are always printed."""
SHOWN_IDS = 20
"""Flipped pairs or false actions listed per planner; robustness_sets.json holds them all."""


def _rate(k: int, n: int, ci: Interval) -> str:
    return f"{k}/{n} {100 * k / n:.1f}%\n[{100 * ci[0]:.1f},{100 * ci[1]:.1f}]"


def _table(title: str, columns: tuple[str, ...]) -> Table:
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for name in columns:
        table.add_column(name, no_wrap=True)
    return table


def _pairs(refs: list[PairRef]) -> str:
    shown = ", ".join(f"{ref.original}/{ref.paraphrase}" for ref in refs[:SHOWN_IDS])
    return shown + (f", ... ({len(refs)} in all)" if len(refs) > SHOWN_IDS else "")


def _paraphrase_table(sets: list[SetFigures]) -> Table:
    table = _table(
        "Paraphrase sets: plan right per case, k/n % [Wilson 95% CI], paired by pair-N",
        ("set", "planner", "originals", "paraphrases", "drop", "flip", "gain", "p"),
    )
    for figures in sets:
        for planner, found in figures.planners.items():
            if not isinstance(found, ParaphraseFigures):
                continue
            table.add_row(
                set_suffix(figures.set),
                escape(planner),
                _rate(found.original_correct, found.pairs, found.original_ci),
                _rate(found.paraphrase_correct, found.pairs, found.paraphrase_ci),
                f"{found.drop_points:+.1f}",
                str(found.flips),
                str(found.gains),
                f"{found.p_value:.3g}",
            )
    return table


def _ood_table(sets: list[SetFigures]) -> Table:
    table = _table(
        "Out-of-domain sets: trials that planned any step, k/n % [Wilson 95% CI]",
        ("set", "planner", "false actions", "valid plans", "no plan"),
    )
    for figures in sets:
        for planner, found in figures.planners.items():
            if not isinstance(found, OodFigures):
                continue
            table.add_row(
                set_suffix(figures.set),
                escape(planner),
                _rate(found.false_actions, found.trials, found.false_action_ci),
                str(found.metric_false_actions),
                str(found.no_plan),
            )
    return table


def _details(console: Console, figures: SetFigures, *, cases: bool) -> None:
    for planner, found in figures.planners.items():
        where = f"{figures.set}, {escape(planner)}"
        if isinstance(found, ParaphraseFigures):
            console.print(f"  {where}: {escape(found.verdict)}", soft_wrap=True)
            if found.flipped and cases:
                console.print(f"  flipped ({where}): {_pairs(found.flipped)}", soft_wrap=True)
        if isinstance(found, OodFigures) and cases:
            for action in found.actions[:SHOWN_IDS]:
                tools = ", ".join(action.tools)
                console.print(
                    f"  false action ({where}): {action.case_id} -> {tools}: "
                    f"{escape(repr(action.prompt))}",
                    soft_wrap=True,
                )
            if len(found.actions) > SHOWN_IDS:
                console.print(f"  ... {len(found.actions)} false actions in all ({where})")


def print_figures(console: Console, sets: list[SetFigures], *, details: bool = False) -> None:
    """Print a table per kind of set, then the flipped pairs and the false actions.

    Which cases failed is printed for dev sets only, unless `details`: reading a held-out
    set's failures is what retires it, so that takes asking (`--details`); the figures
    file holds them all either way.
    """
    if any(figures.kind == "paraphrase" for figures in sets):
        console.print(_paraphrase_table(sets))
    if any(figures.kind == "ood" for figures in sets):
        console.print(_ood_table(sets))
    for figures in sorted(sets, key=lambda item: item.kind != "paraphrase"):
        _details(console, figures, cases=details or set_suffix(figures.set) == DEV)
    if sets:
        console.print(
            "  read one: crane-bench show RUN_DIR CASE_ID -p PLANNER "
            f"(run dirs: {', '.join(figures.run_dir for figures in sets)})",
            soft_wrap=True,
        )


def _measure(before: float | None, after: float | None, measure: str) -> str:
    def one(value: float | None) -> str:
        if value is None:
            return "-"
        return f"{value:+.1f}" if measure == "drop_points" else f"{100 * value:.1f}%"

    return f"{one(before)} -> {one(after)}" + (" pts" if measure == "drop_points" else "")


def print_comparison(console: Console, result: RunComparison) -> None:
    """Print per set and planner: cases better and worse, McNemar p, the set's figure."""
    table = _table(
        "Before -> after: plan right per case, paired by case id; exact McNemar",
        ("set", "planner", "n", "right", "better", "worse", "p", "drop / false act."),
    )
    for change in result.sets:
        for planner, found in change.planners.items():
            table.add_row(
                change.set,
                escape(planner),
                str(found.cases),
                f"{found.before_correct} -> {found.after_correct}",
                str(found.better),
                str(found.worse),
                f"{found.p_value:.3g}",
                _measure(found.before, found.after, found.measure),
            )
    console.print(f"before: {result.before}\nafter:  {result.after}", soft_wrap=True)
    console.print(table)
    for change in result.sets:
        if not change.same_cases:
            console.print(f"  {change.set}: the set file changed; only common case ids pair")
        for planner, found in change.planners.items():
            console.print(
                f"  {change.set}, {escape(planner)}: {escape(found.verdict)}", soft_wrap=True
            )
        for side, names in (("before", change.only_before), ("after", change.only_after)):
            if names:
                console.print(f"  {change.set}: only {side} ran {escape(', '.join(names))}")
    for side, names in (("before", result.only_before), ("after", result.only_after)):
        if names:
            console.print(f"  sets only {side}: {', '.join(names)}")
