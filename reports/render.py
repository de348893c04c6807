"""Render a page: the jinja2 environment, the inline assets, and the page's security policy.

Each report is one HTML file that opens from file:// with no network: the CSS, the page
script and plotly.js are inlined once per page. Autoescape is on and undefined names are
errors. A Content-Security-Policy allows only the page's own scripts (by hash), so even a
payload that slipped through escaping could not run, and no request can leave the page.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files
from pathlib import Path
from typing import Any, Final

import jinja2
from markupsafe import Markup

from crane_bench.plumbing.run_files import write_atomically
from crane_bench.reports.meta import JUNIT_FILE, MARKDOWN_FILE, ReportFiles

TEMPLATES: Final = "templates"
CSS_FILE: Final = "report.css"
JS_FILE: Final = "report.js"
_SCRIPT_END: Final = re.compile(r"</(script)", re.IGNORECASE)


@dataclass(frozen=True)
class Assets:
    """The inline CSS and scripts of a page, and the policy that admits exactly them."""

    css: Markup
    scripts: tuple[Markup, ...]
    csp: str


def _asset(name: str) -> str:
    return files("crane_bench.reports").joinpath(TEMPLATES, name).read_text(encoding="utf-8")


def inline_script(source: str) -> Markup:
    """Script text safe inside `<script>`: a `</script` in it would end the element early."""
    return Markup(_SCRIPT_END.sub(r"<\\/\1", source))  # noqa: S704 - code we ship, not data


def _hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


@cache
def _plotly_js() -> str:
    # Imported here: the module is heavy and only needed when a page has charts.
    from plotly.offline import get_plotlyjs  # noqa: PLC0415

    return str(get_plotlyjs())


@cache
def assets(*, charts: bool = True) -> Assets:
    """The page's CSS and scripts (plotly.js first when the page has charts)."""
    sources = [_plotly_js()] if charts else []
    sources.append(_asset(JS_FILE))
    scripts = tuple(inline_script(source) for source in sources)
    hashes = " ".join(_hash(str(script)) for script in scripts)
    csp = (
        "default-src 'none'; "
        f"script-src {hashes}; "
        "style-src 'unsafe-inline'; "
        "img-src data: blob:; "
        "base-uri 'none'; form-action 'none'"
    )
    return Assets(css=Markup(_asset(CSS_FILE)), scripts=scripts, csp=csp)  # noqa: S704


@cache
def environment() -> jinja2.Environment:
    """The templates of this package, autoescaped, strict about undefined names."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("crane_bench.reports", TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def crane_version() -> str:
    """The installed crane-bench version, or `dev`."""
    try:
        return version("crane-bench")
    except PackageNotFoundError:
        return "dev"


def render(template: str, *, charts: bool = True, **context: Any) -> str:
    """Render `template` with the page assets and `context`."""
    page_assets = assets(charts=charts)
    return environment().get_template(template).render(assets=page_assets, **context)


def write_text(path: Path, text: str) -> Path:
    """Write a report file through a temp file, so a reader never sees half of it."""
    write_atomically(path, text)
    return path


def write_report_files(
    run_dir: Path, html_name: str, html: str, markdown: Callable[[Path], str], junit: str
) -> ReportFiles:
    """Write a run's page, then its `summary.md` (which links the page) and `junit.xml`."""
    html_path = write_text(run_dir / html_name, html)
    return ReportFiles(
        html=html_path,
        markdown=write_text(run_dir / MARKDOWN_FILE, markdown(html_path)),
        junit=write_text(run_dir / JUNIT_FILE, junit),
    )
