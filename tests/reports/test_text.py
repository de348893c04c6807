"""Plans as text, number formats, and the escaping of data embedded in pages and Markdown."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from crane_bench.reports.charts import plot_text, script_json
from crane_bench.reports.ci_outputs import md, md_code, md_table
from crane_bench.reports.formatting import (
    count,
    duration,
    interval,
    p_value,
    pct,
    sig,
    timestamp,
    usd,
    verdict_text,
)
from crane_bench.reports.plan_text import (
    NO_PLAN,
    NO_TOOL,
    differences,
    one_line,
    plan_lines,
    side_by_side,
)

CALC = ("calculator", {"expression": "2 + 2"})
LIST = ("todo_store", {"action": "list"})


def test_plan_lines_one_per_step_and_key() -> None:
    steps = [("todo_store", {"title": "milk", "action": "add"}), CALC]
    assert plan_lines(steps) == [
        "1 todo_store",
        '    action: "add"',
        '    title: "milk"',
        "2 calculator",
        '    expression: "2 + 2"',
    ]
    assert plan_lines([]) == [NO_TOOL]
    assert plan_lines(None) == [NO_PLAN]


def test_any_of_reads_as_alternatives() -> None:
    lines = plan_lines([("todo_store", {"title": {"any_of": ["milk", "Milk!"]}})])
    assert lines[1] == '    title: "milk" | "Milk!"'


def test_side_by_side_marks_lines_only_one_side_has() -> None:
    expected, actual = side_by_side([CALC], [("calculator", {"expression": "2 * 2"})])
    assert [line.changed for line in expected] == [False, True]
    assert [line.changed for line in actual] == [False, True]


@pytest.mark.parametrize(
    ("expected", "actual", "found"),
    [
        ([], [CALC], ["expected no tool call, got 1 step"]),
        ([CALC, LIST], [], ["expected 2 steps, got no tool call"]),
        ([CALC], None, ["no plan came back"]),
        (None, [CALC], ["expected plan unknown (case file not found)"]),
        ([CALC], [LIST], ["step 1: tool calculator → todo_store"]),
        ([CALC], [("calculator", {"expression": "2"})], ['step 1: expression "2 + 2" → "2"']),
        ([CALC, LIST], [CALC], ["expected 2 steps, got 1"]),
        ([LIST], [("todo_store", {"action": "list", "id": 3})], ["step 1: unexpected id 3"]),
        ([CALC], [CALC], []),
    ],
)
def test_differences_in_words(expected: object, actual: object, found: list[str]) -> None:
    assert differences(expected, actual) == found  # type: ignore[arg-type]


def test_one_line() -> None:
    assert one_line([CALC, LIST]) == 'calculator(expression="2 + 2") → todo_store(action="list")'


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.84817, "84.8%"), (1.0, "100.0%"), (None, "–"), (float("nan"), "–")],
)
def test_pct(value: float | None, text: str) -> None:
    assert pct(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.07571, "0.0757"), (0.306, "0.306"), (12.34, "12.3"), (523.4, "523"), (12345.6, "12,346")],
)
def test_three_significant_digits(value: float, text: str) -> None:
    assert sig(value) == text


def test_verdicts_in_words() -> None:
    assert verdict_text(2, 9, "gate") == "2 of 9 gates failed"
    assert verdict_text(0, 9, "gate") == "all 9 gates passed"
    assert verdict_text(0, 1, "SLO check") == "the SLO check passed"
    assert verdict_text(0, 0, "gate") == "no gates ran"


def test_other_formats() -> None:
    assert interval((0.79, 0.8921)) == "79.0–89.2"
    assert count(10000) == "10,000"
    assert p_value(0.00064) == "p < 0.001"
    assert p_value(0.0064) == "p = 0.006"
    assert p_value(0.4213) == "p = 0.42"
    assert usd(0.000123) == "$0.00012"
    assert usd(0.0) == "$0"
    assert duration(0.243) == "0.24 s"
    assert duration(185) == "3 min 05 s"
    assert timestamp(datetime(2026, 3, 2, 9, 30, 5, tzinfo=UTC)) == "2026-03-02 09:30:05 UTC"


def test_script_json_cannot_close_its_script_element() -> None:
    payload = {"prompt": "</script><script>alert(1)</script><!-- & \u2028"}
    text = str(script_json(json.dumps(payload)))
    for bad in ("<", ">", "&", "\u2028"):
        assert bad not in text
    assert json.loads(text) == payload


def test_chart_labels_show_markup_as_text() -> None:
    # plotly would draw <b> as bold and <a href> as a link; entities show as characters.
    assert (
        plot_text('<a href="x">tool</a> & <b>')
        == '&lt;a href="x"&gt;tool&lt;/a&gt; &amp; &lt;b&gt;'
    )


def test_markdown_escapes_markup_and_cells() -> None:
    assert md("<script>alert(1)</script> | *x*") == (
        "&lt;script&gt;alert(1)&lt;/script&gt; \\| \\*x\\*"
    )
    assert md("two\nlines") == "two lines"
    assert md_code("a `b` c") == "`a 'b' c`"
    table = md_table(["name", "n"], [["a", "1"]], numeric={1})
    assert table.splitlines()[1] == "| :-- | --: |"
