"""Errors raised by the reports package.

Hierarchy::

    UserError                        (runtime.errors)
    └── ReportError                  base of every error the reports package raises on purpose
        ├── NotARunDirError          the directory holds no run a report can be built from
        ├── RunIncompleteError       an eval run that never wrote its summary (interrupted)
        └── RunDataError             a run file is there but unreadable or malformed
                                     (also plumbing's RunFileError, as every run-file error)

Every one is a user-facing problem about a directory the user named, so the CLI shows it as
one line and exits 2. A case whose expected plan cannot be found is not an error: the
report says so where the plan would be.
"""

from __future__ import annotations

from crane_bench.plumbing.errors import RunFileError
from crane_bench.runtime.errors import UserError


class ReportError(UserError):
    """Base of every error the reports package raises on purpose."""


class NotARunDirError(ReportError):
    """The directory holds neither an eval run (`summary.json`) nor a load run."""


class RunIncompleteError(ReportError):
    """An eval run without `summary.json`: it was interrupted before it finished."""


class RunDataError(ReportError, RunFileError):
    """A run file exists but cannot be read, or does not fit its model."""
