"""Regenerate tests/reports/data/: `python -m tests.reports.make_fixtures`.

Run it after a change to the evals or load run formats; the files are small and committed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.reports.run_builders import CASES_YAML, fixture_rows, write_eval_run, write_load_run

DATA = Path(__file__).parent / "data"


def main() -> None:
    for name in ("cases", "eval_run", "load_run"):
        shutil.rmtree(DATA / name, ignore_errors=True)
    cases = DATA / "cases" / "fixture.yaml"
    cases.parent.mkdir(parents=True)
    cases.write_text(CASES_YAML, encoding="utf-8")
    write_eval_run(DATA / "eval_run", fixture_rows(), cases=cases)
    write_load_run(DATA / "load_run")
    for path in sorted(DATA.rglob("*")):
        if path.is_file():
            print(f"{path.relative_to(DATA)}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
