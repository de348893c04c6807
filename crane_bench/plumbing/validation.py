"""One line for a pydantic `ValidationError`: where the first problem is, and what it is.

Every reader of a file or an option (run files, case files, gates, settings, SLO files)
reports a model that does not validate the same way: `where: what`, where `where` is the
dotted location of the first error and `what` pydantic's message. The input value is
never shown: it may be a secret, or a whole row of model output.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

VALUE_ERROR_PREFIX = "Value error, "
"""What pydantic puts before the message of a validator's `ValueError`; noise to a user."""


def first_problem(
    exc: ValidationError,
    *,
    top: str | None = "(top level)",
    within: Sequence[str | int] = (),
    count_others: bool = False,
) -> str:
    """`where: what` of the first error in `exc`.

    A key the model does not know comes first: a misspelt key also shows up as a missing
    field, and naming the misspelling helps more.

    Args:
        exc: The validation error.
        top: What `where` says when the error is about the whole object; None: the
            message alone then.
        within: Location of the validated object inside a bigger one (e.g. `planners`).
        count_others: Append `(and N more)` when there are more errors.
    """
    errors = exc.errors(include_url=False, include_input=False)
    err = min(errors, key=lambda e: e["type"] != "extra_forbidden")
    where = ".".join(str(part) for part in (*within, *err["loc"])) or top
    message = str(err["msg"]).removeprefix(VALUE_ERROR_PREFIX)
    more = f" (and {len(errors) - 1} more)" if count_others and len(errors) > 1 else ""
    return f"{where}: {message}{more}" if where else f"{message}{more}"
