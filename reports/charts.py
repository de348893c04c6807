r"""What every chart shares: the palette, the layout, and safe embedding of the figure.

Charts are plotly figures, serialised to JSON and embedded in `<script
type="application/json">` blocks that the page's own script hands to `Plotly.newPlot`.
Data never becomes code: `<`, `>` and `&` in the JSON are written as `\u003c`, `\u003e`,
`\u0026` (and U+2028/2029 escaped), so a prompt holding `</script>` cannot end the block.

Colours are the Okabe-Ito palette, which stays distinguishable with the common forms of
colour blindness; where more classes than colours are needed, bars also get a hatch.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import plotly.graph_objects as go
import plotly.io as pio
from markupsafe import Markup

OKABE_ITO: Final = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "vermillion": "#D55E00",
    "black": "#000000",
    "yellow": "#F0E442",
}
GREY: Final = "#8C8C8C"
SERIES_COLORS: Final = tuple(OKABE_ITO.values())
"""In this order: yellow last, since it is hard to see on white."""
OUTCOME_STYLE: Final[dict[str, tuple[str, str]]] = {
    "correct": (OKABE_ITO["green"], ""),
    "wrong_tool": (OKABE_ITO["vermillion"], ""),
    "wrong_args": (OKABE_ITO["orange"], ""),
    "wrong_step_count": (OKABE_ITO["purple"], ""),
    "false_abstain": (OKABE_ITO["sky"], ""),
    "false_action": (OKABE_ITO["blue"], ""),
    "invalid_plan": (OKABE_ITO["yellow"], ""),
    "planner_error": (OKABE_ITO["black"], ""),
    "timeout": (GREY, "/"),
    "outcome_mismatch": (OKABE_ITO["purple"], "x"),
}
"""Outcome class -> (colour, hatch); ten classes on eight colours, so two are hatched."""
FONT: Final = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
_SCRIPT_ESCAPES: Final = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_SCRIPT_TABLE: Final = str.maketrans(_SCRIPT_ESCAPES)


@dataclass(frozen=True)
class Chart:
    """A figure ready for the page: its element id, heading, caption and escaped JSON."""

    id: str
    title: str
    caption: str
    data: Markup
    """The figure as JSON, safe inside a `<script type="application/json">` block."""
    height: int
    wide: bool = False
    """Spans the page's full width rather than one column of the grid."""


def script_json(text: str) -> Markup:
    """JSON text made safe to sit inside a `<script>` element (see the module docstring)."""
    return Markup(text.translate(_SCRIPT_TABLE))  # noqa: S704 - every `<`, `>`, `&` escaped


def plot_text(text: object) -> str:
    """Data text safe for a chart label or hover, shown as itself.

    plotly reads a little HTML in labels (`<b>`, `<a href>`), so `<`, `>` and `&` are
    escaped; plotly turns the entities back into the characters.
    """
    return html.escape(str(text), quote=False)


def series_colors(names: Iterable[str]) -> dict[str, str]:
    """A fixed colour per name, in the order given (planners, request types)."""
    return {name: SERIES_COLORS[i % len(SERIES_COLORS)] for i, name in enumerate(names)}


def base_layout(fig: go.Figure, *, height: int, legend: bool = True) -> None:
    """The look every chart shares: no template bloat, system font, legend on top."""
    fig.update_layout(
        template="none",
        height=height,
        font={"family": FONT, "size": 12, "color": "#1f2328"},
        margin={"l": 60, "r": 20, "t": 36 if legend else 16, "b": 48},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        showlegend=legend,
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        hoverlabel={"font": {"family": FONT}},
    )
    grid = {"gridcolor": "#e6e8eb", "zerolinecolor": "#c9ced4", "automargin": True}
    fig.update_xaxes(**grid)
    fig.update_yaxes(**grid)


def make_chart(
    chart_id: str,
    title: str,
    fig: go.Figure,
    *,
    caption: str = "",
    height: int = 360,
    legend: bool = True,
    wide: bool = False,
) -> Chart:
    """Style `fig` and serialise it for the page."""
    base_layout(fig, height=height, legend=legend)
    text = pio.to_json(fig, validate=False, remove_uids=True)
    return Chart(chart_id, title, caption, script_json(text), height, wide)


def error_bars(values: Sequence[float | None], bounds: Sequence[Any]) -> dict[str, Any]:
    """Asymmetric plotly error bars from (low, high) intervals around `values`."""
    plus = [
        (b[1] - v) if b is not None and v is not None else 0.0
        for v, b in zip(values, bounds, strict=True)
    ]
    minus = [
        (v - b[0]) if b is not None and v is not None else 0.0
        for v, b in zip(values, bounds, strict=True)
    ]
    return {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus}
