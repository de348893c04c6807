"""What CI reads beside each HTML report: `junit.xml` (one test case per gate) and Markdown.

`junit.xml` lets any CI show the gates as tests: a failed gate is a failed test case whose
message is the check's own line, a skipped gate a skipped one. `summary.md` is short
enough for a job summary or a pull-request comment; the report builders write its
content with the helpers here, which escape everything that comes from a run.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Final

from crane_bench.plumbing.gates import GateCheck, GateStatus

ICONS: Final[dict[GateStatus, str]] = {"pass": "✅", "fail": "❌", "skip": "⏭️", "improved": "🔼"}
_XML_INVALID: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MD_SPECIAL: Final = re.compile(r"([\\`*_\[\]|~#])")


def _xml_text(text: str) -> str:
    return _XML_INVALID.sub("", text)


def junit_xml(
    suite: str,
    classname: str,
    gates: Sequence[GateCheck],
    *,
    timestamp: datetime,
    seconds: float,
) -> str:
    """A JUnit XML document with one test case per gate."""
    failures = sum(g.status == "fail" for g in gates)
    skipped = sum(g.status == "skip" for g in gates)
    counts = {"tests": len(gates), "failures": failures, "errors": 0, "skipped": skipped}
    totals = {k: str(v) for k, v in counts.items()}
    root = ET.Element("testsuites", {"name": "crane-bench", **totals})
    attrs = {"name": _xml_text(suite), **totals, "timestamp": timestamp.isoformat()}
    node = ET.SubElement(root, "testsuite", {**attrs, "time": f"{seconds:.3f}"})
    for gate in gates:
        case = ET.SubElement(
            node, "testcase", classname=classname, name=_xml_text(gate.name), time="0"
        )
        message = _xml_text(gate.message)
        if gate.status == "fail":
            failure = ET.SubElement(case, "failure", message=message, type="GateFailed")
            failure.text = message
        elif gate.status == "skip":
            ET.SubElement(case, "skipped", message=message)
        else:
            ET.SubElement(case, "system-out").text = message
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def md(text: str) -> str:
    """Text safe in Markdown prose and table cells: no HTML, no markup, no cell breaks."""
    escaped = html.escape(" ".join(text.split()), quote=False)
    return _MD_SPECIAL.sub(r"\\\1", escaped)


def md_code(text: str) -> str:
    """Text as a Markdown code span: shown literally (no escapes apply inside one)."""
    return "`" + " ".join(text.split()).replace("`", "'") + "`"


def md_table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> str:
    """A Markdown table; columns in `numeric` right-aligned. Cells must be escaped already."""
    align = ["--:" if i in numeric else ":--" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def md_gates(gates: Sequence[GateCheck], notes: Mapping[int, str] | None = None) -> str:
    """Failed gates in the open, every gate inside a collapsed list.

    `notes` holds a remark per gate by its position in `gates`, shown after its message.
    """
    found = notes or {}

    def line(index: int, gate: GateCheck) -> str:
        note = f" — {md(found[index])}" if index in found else ""
        return f"- {ICONS[gate.status]} {md(gate.message)}{note}"

    tally = {status: sum(g.status == status for g in gates) for status in ICONS}
    counted = ", ".join(f"{n} {status}" for status, n in tally.items() if n) or "none"
    parts = [f"**Gates**: {counted}"]
    parts += [line(i, g) for i, g in enumerate(gates) if g.status == "fail"]
    if gates:
        parts.append(f"\n<details><summary>All {len(gates)} checks</summary>\n")
        parts += [line(i, g) for i, g in enumerate(gates)]
        parts.append("\n</details>")
    return "\n".join(parts)
