"""Planners of the user's own: `module.path:attr`, or a `crane_bench.planners` entry point.

The object found is used as the planner when it satisfies the `Planner` protocol (a
`name` and an async `plan(prompt)`); a class or factory is called with no arguments and
must return one. `crane_bench.runtime.planners.pattern:PatternPlanner` works, and so does::

    # my_package/planners.py
    class EchoNothing:
        name = "echo-nothing"

        async def plan(self, prompt: str) -> PlanResult:
            return PlanResult(plan=Plan(steps=[]), meta=PlanMeta(planner=self.name))

Every problem (a module that does not import, a missing attribute, an object that is
not a planner, a factory that raises, even `SystemExit`) is a `ConfigError` of one line.
"""

from __future__ import annotations

import importlib
import inspect
from typing import TYPE_CHECKING, Final, TypeGuard

from crane_bench.runtime.errors import ConfigError

if TYPE_CHECKING:
    from crane_bench.runtime.planners.base import Planner

ENTRY_POINT_GROUP: Final = "crane_bench.planners"


def registered_planner(name: str) -> str | None:
    """The `module:attr` registered under `name` in the entry point group, if any."""
    # importlib.metadata scans every installed distribution: only a spec that is not
    # `module:attr` needs it, so a CLI that parses `pattern` does not pay for it.
    from importlib.metadata import entry_points  # noqa: PLC0415

    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name == name:
            return str(point.value)
    return None


def is_planner(obj: object) -> TypeGuard[Planner]:
    """True when `obj` has a string `name` and an async `plan` method."""
    plan = getattr(obj, "plan", None)
    return (
        not inspect.isclass(obj)
        and isinstance(getattr(obj, "name", None), str)
        and inspect.iscoroutinefunction(plan)
    )


def _resolve(target: str, spec: str) -> object:
    module_name, _, attr = target.partition(":")
    try:
        obj: object = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - any import failure is the user's, one line
        raise ConfigError(
            f"--planners: {spec!r}: cannot import {module_name!r}: {type(exc).__name__}: {exc}"
        ) from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ConfigError(f"--planners: {spec!r}: {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    return obj


def check_user_target(target: str, spec: str) -> None:
    """Import `target` and check that it is a planner, or something callable.

    Raises:
        ConfigError: It does not import, or is neither a planner nor callable.
    """
    obj = _resolve(target, spec)
    if not is_planner(obj) and not callable(obj):
        raise ConfigError(
            f"--planners: {spec!r}: {target} is not a planner (no name and async plan()), "
            "nor a class or factory that returns one"
        )


def load_user_planner(target: str, spec: str) -> Planner:
    """The planner `target` names: the object itself, or what calling it returns.

    Raises:
        ConfigError: It does not import, calling it fails, or the result is not a planner.
    """
    obj = _resolve(target, spec)
    if is_planner(obj):
        return obj
    if callable(obj):
        try:
            obj = obj()
        # SystemExit too: a "factory" such as sys.exit would end the command silently.
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - a broken factory is the user's
            detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise ConfigError(f"--planners: {spec!r}: calling {target} failed: {detail}") from None
        if is_planner(obj):
            return obj
    raise ConfigError(
        f"--planners: {spec!r}: {target} is not a planner (no name and async plan()), "
        "nor a class or factory that returns one"
    )
