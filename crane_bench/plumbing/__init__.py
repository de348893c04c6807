"""Plumbing shared by the four packages, knowing none of them.

`runtime`, `evals`, `load` and `reports` may each import this package; it imports none of
them, so it adds no edge to their one-way dependencies (`runtime` must not know `evals`,
`load` reaches the runtime only over HTTP). It holds what they would otherwise each write
again: child processes (`processes`, `readiness`) and run-directory files (`run_files`).
"""

from crane_bench.plumbing.errors import ChildExitedError, NotReadyError, PlumbingError, RunFileError

__all__ = ["ChildExitedError", "NotReadyError", "PlumbingError", "RunFileError"]
