"""Render a page: the jinja2 environment, the inline assets, and the page's security policy.

Each report is one HTML file that opens from file:// with no network: the CSS, the page
script and plotly.js are inlined once per page. Autoescape is on and undefined names are
errors. A Content-Security-Policy allows only the page's own scripts (by hash), so even a
payload that slipped through escaping could not run, and no request can leave the page.

plotly.js is the vendored cartesian partial bundle (`templates/plotly-cartesian.md` says
why that one and where it came from), packed: gzip, then base64, in a data block that
nothing executes. The page script unpacks it with the browser's `DecompressionStream`
and runs it as an inline script, which the policy admits by the hash of the unpacked
source, so packing adds no way in. Packed, the bundle is 0.66 MB instead of 1.5 MB (and
the full plotly.js that plotly.py ships is 4.8 MB).
"""

from __future__ import annotations

import base64
import gzip
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
PLOTLY_FILE: Final = "plotly-cartesian.min.js"
_BANNER: Final = re.compile(rb"\A/\*\*.*?\*/", re.DOTALL)
_SCRIPT_END: Final = re.compile(r"</(script)", re.IGNORECASE)


@dataclass(frozen=True)
class PlotlyBundle:
    """plotly.js as a page carries it: packed, with its licence header in clear."""

    banner: str
    """The bundle's own header comment (name, version, copyright, MIT licence)."""
    packed: Markup
    """The bundle gzipped, then base64: only `A-Z a-z 0-9 + / =`, inert in any element."""
    digest: str
    """The CSP hash-source of the unpacked bundle, which the page script runs."""


@dataclass(frozen=True)
class Assets:
    """The inline CSS and scripts of a page, and the policy that admits exactly them."""

    css: Markup
    scripts: tuple[Markup, ...]
    csp: str
    plotly: PlotlyBundle | None = None
    """plotly.js for pages with charts, packed (see the module docstring)."""


def _asset(name: str) -> str:
    return files("crane_bench.reports").joinpath(TEMPLATES, name).read_text(encoding="utf-8")


def inline_script(source: str) -> Markup:
    """Script text safe inside `<script>`: a `</script` in it would end the element early."""
    return Markup(_SCRIPT_END.sub(r"<\\/\1", source))  # noqa: S704 - code we ship, not data


def _hash(source: bytes) -> str:
    digest = hashlib.sha256(source).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


@cache
def plotly_bundle() -> PlotlyBundle:
    """The vendored plotly.js, packed for the page (once per process: about 0.1 s)."""
    # Bytes, not text: the hash must be of exactly what the browser will decode and run.
    source = files("crane_bench.reports").joinpath(TEMPLATES, PLOTLY_FILE).read_bytes()
    banner = _BANNER.match(source)
    if banner is None:  # pragma: no cover - the vendored file always starts with it
        raise ValueError(f"{PLOTLY_FILE} lost its licence header")
    # mtime=0: the same bundle packs to the same bytes, so a rebuilt page is unchanged.
    packed = base64.b64encode(gzip.compress(source, compresslevel=9, mtime=0))
    return PlotlyBundle(
        banner=banner.group().decode("utf-8"),
        packed=Markup(packed.decode("ascii")),  # noqa: S704 - base64 has no markup
        digest=_hash(source),
    )


@cache
def assets(*, charts: bool = True) -> Assets:
    """The page's CSS and script, and plotly.js (packed) when the page has charts."""
    plotly = plotly_bundle() if charts else None
    scripts = (inline_script(_asset(JS_FILE)),)
    admitted = [_hash(str(script).encode("utf-8")) for script in scripts]
    if plotly is not None:
        admitted.append(plotly.digest)
    hashes = " ".join(admitted)
    csp = (
        "default-src 'none'; "
        f"script-src {hashes}; "
        "style-src 'unsafe-inline'; "
        "img-src data: blob:; "
        "base-uri 'none'; form-action 'none'"
    )
    css = Markup(_asset(CSS_FILE))  # noqa: S704 - our stylesheet
    return Assets(css=css, scripts=scripts, csp=csp, plotly=plotly)


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
