"""Errors of the shared plumbing; each caller turns them into its own package's errors.

PlumbingError
├── ChildExitedError   a child process exited before it was ready
├── NotReadyError      a child process did not answer its readiness probe in time
└── RunFileError       a run-directory file is missing, malformed or of another version
"""

from __future__ import annotations


class PlumbingError(Exception):
    """Base of the plumbing's errors."""


class ChildExitedError(PlumbingError):
    """A child process exited before it answered its readiness probe.

    Args:
        returncode: The child's exit code (negative: the signal that ended it).
    """

    def __init__(self, returncode: int) -> None:
        super().__init__(f"exited with code {returncode} before it was ready")
        self.returncode = returncode


class NotReadyError(PlumbingError):
    """A child process was still not ready when its start-up timeout ran out."""


class RunFileError(PlumbingError):
    """A run-directory file is missing, malformed, or written by another version."""
