"""Script over an eval run: per planner and category, the plan accuracy and the failures.

    python docs/examples/read_a_run.py runs/<UTC time>-<id>

`read_run` opens the run directory; its spec and summary are typed models, its rows
`TrialResult`s read one line at a time, its frame a pandas DataFrame of every trial.
"""

from __future__ import annotations

import sys
from collections import Counter

from crane_bench.evals import RunLogError, read_run


def main(run_dir: str) -> int:
    """Print what the run ran, its accuracy by planner and category, and why trials failed."""
    try:
        run = read_run(run_dir)
    except RunLogError as exc:  # the one error of a damaged run, in one line
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"planners: {', '.join(run.spec.args.planners)}; finished: {run.finished}")

    # Every trial as a DataFrame: one row per trial, one column per field and metric.
    frame = run.frame()
    accuracy = frame.groupby(["planner", "category"])["plan_correct"].mean()
    print(accuracy.round(3).to_string())

    # The rows themselves, for what the frame leaves out (plans, raw model output).
    why = Counter(row.outcome.value for row in run.rows() if row.outcome.value != "correct")
    print(f"failed trials by outcome: {dict(sorted(why.items()))}")

    # The summary holds the metrics the gates were decided on (None: not finished).
    if run.summary is not None:
        for planner, metrics in run.summary.planners.items():
            print(f"{planner}: plan accuracy {metrics.value('plan_accuracy'):.3f}")
        print(f"gates passed: {run.summary.gates.passed}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
