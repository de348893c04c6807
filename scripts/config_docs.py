"""Write the settings tables of `docs/configuration.md` from the pydantic-settings models.

`python scripts/config_docs.py` rewrites the text between the page's two markers;
`--check` writes nothing and exits 1 when the page is stale (`tests/test_docs.py` fails
then too). Each row is one environment variable: the model's `env_prefix` and the field
name, upper-cased; its default; its description, and its choices when it has a fixed set.
"""

from __future__ import annotations

import sys
import typing
from pathlib import Path

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "configuration.md"
START = "<!-- settings:start (written by scripts/config_docs.py; do not edit by hand) -->"
END = "<!-- settings:end -->"


def sections() -> list[tuple[str, type[BaseSettings]]]:
    """The settings models, each under its title; imported from this checkout."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # the checkout's package, not another installed one
    from crane_bench.evals.settings import EvalSettings  # noqa: PLC0415
    from crane_bench.runtime.service.settings import (  # noqa: PLC0415
        RunStoreSettings,
        ServiceSettings,
    )
    from crane_bench.runtime.settings import Settings  # noqa: PLC0415

    return [
        ("Runtime (`crane_bench.runtime.settings.Settings`)", Settings),
        ("Evaluation (`crane_bench.evals.settings.EvalSettings`)", EvalSettings),
        ("Service (`crane_bench.runtime.service.settings.ServiceSettings`)", ServiceSettings),
        ("Run store (`crane_bench.runtime.service.settings.RunStoreSettings`)", RunStoreSettings),
    ]


def env_name(model: type[BaseSettings], name: str) -> str:
    """The environment variable that sets field `name` of `model`."""
    return f"{model.model_config.get('env_prefix', '')}{name}".upper()


def shown_default(field: FieldInfo) -> str:
    """The default as `.env.example` writes it: `unset`, `true`/`false`, or the value."""
    default = field.default
    if default is None:
        return "unset"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    return f"`{default}`"


def choices(field: FieldInfo) -> list[str]:
    """The allowed values of a `Literal` field (inside an optional), else none."""
    for annotation in (field.annotation, *typing.get_args(field.annotation)):
        if typing.get_origin(annotation) is typing.Literal:
            return [str(value) for value in typing.get_args(annotation)]
    return []


def meaning(field: FieldInfo) -> str:
    """The field's description, then its choices; pipes escaped for a Markdown table."""
    text = field.description or ""
    values = choices(field)
    if values:
        text = f"{text} One of: {', '.join(f'`{value}`' for value in values)}.".strip()
    return text.replace("|", "\\|")


def table(model: type[BaseSettings]) -> str:
    """One Markdown table of `model`'s settings (deprecated, excluded names left out)."""
    rows = ["| setting | default | meaning |", "| --- | --- | --- |"]
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        rows.append(f"| `{env_name(model, name)}` | {shown_default(field)} | {meaning(field)} |")
    return "\n".join(rows)


def render() -> str:
    """The generated block, markers included."""
    parts = [START]
    for title, model in sections():
        parts += ["", f"### {title}", "", table(model)]
    parts += ["", END]
    return "\n".join(parts)


def updated(page: str) -> str:
    """`page` with the text between the markers replaced by `render()`."""
    head, found, rest = page.partition(START)
    _, found_end, tail = rest.partition(END)
    if not found or not found_end:
        raise SystemExit(f"{PAGE}: the markers {START!r} and {END!r} are missing")
    return head + render() + tail


def main(argv: list[str]) -> int:
    """Rewrite the page, or with `--check` say whether it is current (exit 1 if stale)."""
    page = PAGE.read_text(encoding="utf-8")
    new = updated(page)
    if "--check" in argv:
        if new != page:
            print(f"{PAGE} is stale: run python scripts/config_docs.py")
            return 1
        return 0
    if new != page:
        PAGE.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
