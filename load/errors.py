"""Errors raised by the load package.

Hierarchy::

    LoadError                     base of every error the load package raises on purpose
    ├── LoadConfigError           a user's mistake: bad option, SLO file or baseline
    │                             (one line, exit 2)
    ├── ServiceStartError         the service it started exited or never became ready
    ├── LocustRunError            locust crashed, or wrote no result to read
    ├── UnloadedPassError         the service failed the `gold` scenario's unloaded pass
    └── ResultError               an output file is missing, malformed, or another version

The load package reaches the runtime only over HTTP, so it does not extend
`runtime.errors`; the CLI maps `LoadConfigError` to exit 2 and the others to exit 1. A
request that fails under load is not an error here: it is a counted failure.
"""

from __future__ import annotations


class LoadError(Exception):
    """Base of every error the load package raises on purpose."""


class LoadConfigError(LoadError):
    """A bad option, SLO file or baseline: the user's mistake, shown as one line."""


class ServiceStartError(LoadError):
    """The service this run started exited early or did not become ready in time."""


class LocustRunError(LoadError):
    """locust did not finish normally, or finished without writing its result."""


class UnloadedPassError(LoadError):
    """The service did not answer a run of the unloaded pass (5xx, no answer, not a run)."""


class ResultError(LoadError):
    """An output file (result, summary, baseline) is missing, malformed or of another version."""
