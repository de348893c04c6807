"""The hand-written robustness sets: finding the set files, and reading a set's eval run.

The sets live beside the planners' tests (`tests/runtime/planners/data/`): every
`paraphrase_*.yaml` (pairs of the same request worded two ways, tagged
`[original|paraphrase, pair-N]`) and `ood_*.yaml` (prompts that need no tool), found by
name, so a new file of either shape is measured with no change here. Each set file is
run as one ordinary eval run (`crane-bench robustness run`); what is computed from those
runs is `evals.robustness_set_figures`, and before against after
`evals.robustness_compare`. Generated perturbations of the gold cases are another thing:
`crane-bench eval --perturb` (`evals.robustness`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import pandas as pd

from crane_bench.evals.errors import RobustnessSetError, RunLogError
from crane_bench.evals.metric_registry import DEFAULT_METRICS
from crane_bench.evals.metrics import scalar_row
from crane_bench.evals.results import TrialResult
from crane_bench.evals.run_reader import Rows, read_run

SetKind = Literal["paraphrase", "ood"]
KIND_PREFIXES: Final[dict[SetKind, str]] = {"paraphrase": "paraphrase_", "ood": "ood_"}
"""A set file's kind is the start of its name: `paraphrase_*.yaml`, `ood_*.yaml`."""


def set_kind(stem: str) -> SetKind | None:
    """`paraphrase` or `ood` by the set file's name; None for any other file."""
    for kind, prefix in KIND_PREFIXES.items():
        if stem.startswith(prefix) and len(stem) > len(prefix):
            return kind
    return None


def set_suffix(stem: str) -> str:
    """`paraphrase_holdout_2` -> `holdout_2`: the name `--sets` chooses files by."""
    kind = set_kind(stem)
    return stem[len(KIND_PREFIXES[kind]) :] if kind else stem


def discover_sets(data: Path) -> dict[str, Path]:
    """Every `paraphrase_*.yaml` and `ood_*.yaml` in `data`, by stem, sorted.

    Raises:
        RobustnessSetError: `data` is not a directory or holds no set file.
    """
    if not data.is_dir():
        raise RobustnessSetError(f"--data {data}: not a directory")
    found = {
        path.stem: path
        for prefix in KIND_PREFIXES.values()
        for path in data.glob(f"{prefix}*.yaml")
    }
    if not found:
        raise RobustnessSetError(f"--data {data}: no paraphrase_*.yaml or ood_*.yaml in it")
    return dict(sorted(found.items()))


def choose_sets(available: Sequence[str], wanted: str) -> list[str]:
    """The stems `--sets` names: `all`, or names matching a stem or its part after the prefix.

    Raises:
        RobustnessSetError: A name matches no set.
    """
    names = [name.strip() for name in wanted.split(",")]
    if names == ["all"]:
        return list(available)
    chosen: list[str] = []
    for name in names:
        matches = [stem for stem in available if name in (stem, set_suffix(stem))]
        if not matches:
            known = sorted({set_suffix(stem) for stem in available})
            raise RobustnessSetError(
                f"--sets: {name!r} names no set; known: {', '.join(known)}, all"
            )
        chosen += [stem for stem in matches if stem not in chosen]
    return [stem for stem in available if stem in chosen]


@dataclass(frozen=True)
class SetRun:
    """One set file's eval run: the trials of the planners that ran it."""

    name: str
    """The set file's stem (`paraphrase_dev`)."""
    kind: SetKind
    path: Path
    cases_sha256: str
    trials: pd.DataFrame
    """The scalar columns of each trial (`evals.metrics`), its tags, prompt and tools."""


def read_trials(rows: Rows[TrialResult]) -> pd.DataFrame:
    """Each trial of a run's rows: scalar and metric columns, `tags`, `prompt`, `tools`.

    Raises:
        RobustnessSetError: The file cannot be read or a row is not a trial.
    """
    records = []
    try:
        for row in rows:
            record = scalar_row(row, DEFAULT_METRICS)
            record["tags"] = tuple(row.tags)
            record["prompt"] = row.prompt or ""
            record["tools"] = tuple(step.tool for step in row.plan.steps) if row.plan else ()
            records.append(record)
    except RunLogError as exc:
        raise RobustnessSetError(str(exc)) from None
    return pd.DataFrame.from_records(records)


def read_set_run(path: Path) -> SetRun:
    """Read the run of one set file (a run directory that ran exactly one case file).

    Perturbed variants, if the run made any, are left out: the sets are their own variants.

    Raises:
        RobustnessSetError: Not a run directory, not one set file's run, or no trials.
    """
    try:
        run = read_run(path)
    except RunLogError as exc:
        raise RobustnessSetError(str(exc)) from None
    files = run.spec.args.case_files
    if len(files) != 1:
        raise RobustnessSetError(f"{path}: ran {len(files)} case files; a set's run runs one")
    stem = Path(files[0].path).stem
    kind = set_kind(stem)
    if kind is None:
        raise RobustnessSetError(f"{path}: ran {stem}, which is neither paraphrase_* nor ood_*")
    trials = read_trials(run.rows())
    if not trials.empty:
        trials = trials[trials["perturbation"].isna()]
    if trials.empty:
        raise RobustnessSetError(f"{path}: no trials in results.jsonl")
    return SetRun(stem, kind, path, files[0].sha256, trials.reset_index(drop=True))


def find_set_runs(out: Path) -> dict[str, SetRun]:
    """The set runs in an output directory (its subdirectories with a spec.json), by set.

    Raises:
        RobustnessSetError: `out` is not a directory or holds no set run.
    """
    if not out.is_dir():
        raise RobustnessSetError(f"{out}: not a directory")
    runs = [read_set_run(sub) for sub in sorted(out.iterdir()) if (sub / "spec.json").is_file()]
    if not runs:
        raise RobustnessSetError(f"{out}: holds no set run (no subdirectory with a spec.json)")
    return {run.name: run for run in runs}
