"""The eval report: HTML content and safety, summary.md, junit.xml."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path

import pytest

from crane_bench.reports import build_report, build_report_files, run_kind
from crane_bench.reports.ci_outputs import md
from crane_bench.reports.errors import NotARunDirError, RunIncompleteError
from crane_bench.reports.eval_report import build_eval_report
from tests.reports.run_builders import CASES_YAML, SCRIPT_CASE, fixture_rows, write_eval_run

JSON_BLOCK = re.compile(r'<script type="application/json" id="([^"]+)">(.*?)</script>', re.S)


@pytest.fixture
def html(eval_dir: Path) -> str:
    return build_eval_report(eval_dir).html.read_text(encoding="utf-8")


def test_build_report_detects_an_eval_run(eval_dir: Path) -> None:
    assert run_kind(eval_dir) == "eval"
    path = build_report(eval_dir)
    assert path == eval_dir / "report.html"
    assert (eval_dir / "summary.md").is_file()
    assert (eval_dir / "junit.xml").is_file()


def test_one_self_contained_file(html: str) -> None:
    assert html.startswith("<!doctype html>")
    assert html.count('id="plotly-js"') == 1  # inlined, once
    assert html.count("* plotly.js (cartesian - minified) v") == 1  # its licence, in clear
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S)
    for url in re.findall(r'(?:src|href)="([^"#][^"]*)"', markup):
        pytest.fail(f"the page loads {url}; everything must be inline")
    assert "<link" not in markup


def test_a_small_runs_report_is_under_one_megabyte(eval_dir: Path) -> None:
    # Issue 23: the full plotly.js made even a 32-trial report 4.9 MB.
    size = build_eval_report(eval_dir).html.stat().st_size
    assert size <= 1_000_000, f"report.html is {size:,} bytes"


def test_content_security_policy_admits_only_the_pages_scripts(html: str) -> None:
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None
    policy = unescape(csp.group(1))
    assert "default-src 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert policy.count("'sha256-") == 2  # plotly.js and the page script


def test_case_text_is_escaped_everywhere(html: str) -> None:
    assert "<script>alert(" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the prompt and the title
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html  # an error message
    assert "&lt;/script&gt;&lt;script&gt;alert(2)" in html  # raw model output


def test_chart_data_blocks_are_json_that_cannot_break_out(html: str) -> None:
    blocks = dict(JSON_BLOCK.findall(html))
    assert set(blocks) == {
        "chart-accuracy-data",
        "chart-outcomes-data",
        "chart-latency-data",
        "chart-fallbacks-data",
        "chart-pass-k-data",
        "chart-confusion-data",
    }
    for text in blocks.values():
        assert "</" not in text
        assert "<!--" not in text
        figure = json.loads(text)
        assert figure["data"]
        assert figure["layout"]["template"] is not None


def test_headline_comparisons_and_gates(html: str) -> None:
    assert 'id="headline"' in html
    assert "No significant difference between hybrid and pattern on plan accuracy" in html
    assert "exact McNemar p = " in html
    assert "1 of 2 gates failed" in html
    assert "FAIL pattern plan_accuracy 0.750 &lt; 0.900" in html


def test_failing_cases_table(html: str) -> None:
    rows = re.findall(r'<tr class="failure" ([^>]*)>', html)
    assert len(rows) == 6
    assert 'data-planner="pattern" data-category="adversarial" data-outcome="false_abstain"' in rows
    assert SCRIPT_CASE in html
    assert "expected 1 step, got no tool call" in html
    assert "2 of 2" in html  # both repeats failed the same way: one row


def test_metadata(html: str) -> None:
    assert "0123456789abcdef0123456789abcdef01234567" in html
    assert "../cases/fixture.yaml" in html
    assert "smollm2-135m" in html
    assert "llm_temperature" in html


def test_summary_markdown(eval_dir: Path) -> None:
    text = build_eval_report(eval_dir).markdown.read_text()
    assert text.startswith("### ❌ Eval `eval_run`: 1 of 2 gates failed")
    assert "| hybrid |" in text
    assert "- ❌ FAIL pattern plan\\_accuracy 0.750 &lt; 0.900" in text
    assert "No significant difference between hybrid and pattern" in text
    assert "<script>" not in text


def test_junit_has_one_case_per_gate(eval_dir: Path) -> None:
    root = ET.parse(build_eval_report(eval_dir).junit).getroot()
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == [
        "pattern plan_accuracy >= 0.9",
        "hybrid valid_plan_rate >= 0.5",
        "llm tool_accuracy >= 0.2",
        "all trials ran",
    ]
    failure = cases[0].find("failure")
    assert failure is not None
    assert failure.get("message") == "FAIL pattern plan_accuracy 0.750 < 0.900"
    assert cases[2].find("skipped") is not None
    assert root.get("tests") == "4"
    assert root.get("failures") == "1"
    assert root.get("skipped") == "1"


def test_unfinished_run_says_how_to_finish_it(eval_dir: Path) -> None:
    (eval_dir / "summary.json").unlink()
    with pytest.raises(RunIncompleteError, match="crane-bench eval --resume"):
        build_report_files(eval_dir)


def test_not_a_run_directory(tmp_path: Path) -> None:
    with pytest.raises(NotARunDirError, match="not a run directory"):
        build_report(tmp_path)
    with pytest.raises(NotARunDirError, match="not a directory"):
        build_report(tmp_path / "missing")


def test_power_beside_comparisons_and_gates(tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(CASES_YAML, encoding="utf-8")
    summary = write_eval_run(tmp_path / "run", fixture_rows(), cases=cases)
    notes = summary.gate_notes()
    assert notes, "the rate gates that ran have a resolution"
    files = build_eval_report(tmp_path / "run")
    html = unescape(files.html.read_text(encoding="utf-8"))
    markdown = files.markdown.read_text(encoding="utf-8")
    for note in notes.values():
        assert note in html
        assert md(note) in markdown
    detectable = summary.comparisons[0].detectable
    assert detectable[:1].upper() + detectable[1:] in html
    assert md(detectable[:1].upper() + detectable[1:]) in markdown
