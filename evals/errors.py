"""Errors raised by the evals package.

Hierarchy::

    CraneRuntimeError                 (runtime.errors)
    └── EvalError                     base of every error the evals package raises on purpose
        ├── CaseFormatError           a case file is missing, not YAML, or not the case format
        │                             (also a UserError: one line, exit 2)
        ├── GateConfigError           a quality gate is misconfigured (also a UserError)
        ├── RescoreRefusedError       a run cannot be re-scored: a prompt changed, a case is
        │                             gone, the run did not finish (also a UserError)
        ├── RobustnessSetError        a robustness set or its run does not have the set's
        │                             shape, or names no set (also a UserError)
        └── RunLogError               a damaged run: not an eval run directory, or a file of
                                      it unreadable, malformed or of another version; the
                                      one error `read_run` (`evals.run_reader`) raises
                                      (also plumbing's RunFileError, as every run-file error)

A case that fails while it runs is not an error here: the runner records it as a row.
"""

from __future__ import annotations

from crane_bench.plumbing.errors import RunFileError
from crane_bench.runtime.errors import CraneRuntimeError, UserError


class EvalError(CraneRuntimeError):
    """Base of every error the evals package raises on purpose."""


class CaseFormatError(EvalError, UserError):
    """A case file is missing, not valid YAML, or does not fit the case format.

    The message is one line that names the file, the case (id and position) and the field.
    """


class GateConfigError(EvalError, UserError):
    """A quality gate is misconfigured (unknown metric, threshold out of range)."""


class RescoreRefusedError(EvalError, UserError):
    """A run cannot be re-scored as it is: its trials would be judged on prompts they never saw."""


class RobustnessSetError(EvalError, UserError):
    """A hand-written robustness set, its run or the choice of sets is not usable.

    A paraphrase case without its `pair-N` tag, an out-of-domain case that expects a step,
    a run of another case file, a `--sets` name that matches no file: one line, exit 2.
    """


class RunLogError(EvalError, RunFileError):
    """A damaged run: not an eval run directory, or a file of it cannot be read.

    The one error of `read_run` and of everything it reads later (rows, transcripts): a
    file that is unreadable, does not validate, or was written by another format version.
    The message is one line naming the file, the line and the field.
    """
