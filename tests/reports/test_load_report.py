"""The load report: HTML content and safety, summary.md, junit.xml."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from crane_bench.reports import build_report, run_kind
from crane_bench.reports.load_report import build_load_report

JSON_BLOCK = re.compile(r'<script type="application/json" id="([^"]+)">(.*?)</script>', re.S)


@pytest.fixture
def html(load_dir: Path) -> str:
    return build_load_report(load_dir).html.read_text(encoding="utf-8")


def test_build_report_detects_a_load_run(load_dir: Path) -> None:
    assert run_kind(load_dir) == "load"
    # Not report.html: locust writes its own report under that name.
    assert build_report(load_dir) == load_dir / "load_report.html"


def test_charts(html: str) -> None:
    blocks = dict(JSON_BLOCK.findall(html))
    assert set(blocks) == {
        "chart-throughput-data",
        "chart-cpu-data",
        "chart-latency-time-data",
        "chart-failures-time-data",
        "chart-failures-type-data",
        "chart-server-data",
    }
    latency = json.loads(blocks["chart-latency-time-data"])
    titles = [a["text"] for a in latency["layout"]["annotations"]]
    assert titles == ["HTTP", "RUN", "GET", "POST"]  # one panel per type, RUN included
    for text in blocks.values():
        assert "</" not in text


def test_tables_slo_and_server(html: str) -> None:
    assert 'id="by-type"' in html
    assert "all HTTP" in html
    assert "fail_ratio[HTTP]" in html
    assert "p95_ms[RUN]" in html
    assert "Runs by status" in html
    assert "completed 1,150, failed 60" in html
    assert "Load generator" in html


def test_failure_messages_are_escaped(html: str) -> None:
    assert "<script>alert(3)" not in html
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in html


def test_summary_markdown_and_junit(load_dir: Path) -> None:
    files = build_load_report(load_dir)
    text = files.markdown.read_text()
    assert text.startswith("### ❌ Load `load_run`: 2 of ")
    assert "| RUN |" in text
    assert "<script>" not in text
    root = ET.parse(files.junit).getroot()
    cases = root.findall("./testsuite/testcase")
    assert "p95_ms[RUN]" in [c.get("name") for c in cases]
    failed = {c.get("name"): c.find("failure") for c in cases if c.find("failure") is not None}
    assert set(failed) == {"fail_ratio[HTTP]", "p95_ms[RUN]"}
    message = failed["p95_ms[RUN]"].get("message")  # type: ignore[union-attr]
    assert message is not None
    assert message.startswith("FAIL p95_ms[RUN]: ")


def test_missing_history_still_builds_a_report(load_dir: Path) -> None:
    (load_dir / "history.csv").unlink()
    html = build_load_report(load_dir).html.read_text()
    assert "chart-throughput" not in html
    assert "no history.csv" in html
