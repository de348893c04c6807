"""Matching rules: values, outcomes, step inputs, calculator expressions and whole plans."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from pydantic import JsonValue

from crane_bench.evals.cases import ExpectedStep
from crane_bench.evals.matching import (
    compare_plan,
    first_choice,
    match_expression,
    match_outcome,
    match_step_input,
    match_value,
    normalise_text,
    numbers_equal,
)
from crane_bench.runtime.models import PlanStep

# --- values ------------------------------------------------------------------------------


def test_numbers_compare_numerically() -> None:
    assert match_value(1, 1.0)
    assert match_value(1.0, 1)
    assert match_value(0.3, 0.1 + 0.2)
    assert match_value(0, 0.1 + 0.2 - 0.3)  # float noise near zero still counts as zero
    assert match_value(1e12, 1e12 * (1 + 1e-10))
    assert not match_value(1e12, 1e12 * (1 + 1e-8))
    assert not match_value(3, 4)
    assert not match_value(-2, 2)


def test_large_ints_compare_exactly_and_never_crash() -> None:
    big = 10**400
    assert match_value(big, big)
    assert not match_value(big, big + 1)
    assert not match_value(big, 1.5)
    assert not numbers_equal(1.5, big)


def test_booleans_are_not_numbers() -> None:
    assert match_value(True, True)
    assert match_value(False, False)
    assert not match_value(True, 1)
    assert not match_value(1, True)
    assert not match_value(0, False)
    assert not match_value(False, None)


def test_numeric_strings_match_numbers_but_not_the_other_way() -> None:
    assert match_value(2, "2")
    assert match_value(2.5, " 2.50 ")
    assert match_value(-3, "-3")
    assert match_value(1000, "1e3")
    assert not match_value(2, "two")
    assert not match_value(2, "2 apples")
    assert not match_value(2, "nan")
    assert not match_value("2", 2)


def test_strings_ignore_case_whitespace_and_edge_punctuation() -> None:
    assert match_value("buy milk", "Buy  Milk")
    assert match_value("buy milk", '"buy milk."')
    assert match_value("buy milk", "  'buy\tmilk'!  ")
    assert match_value("call mom", "“Call mom”")
    assert match_value("<script>alert(1)</script>", "<script>alert(1)</script>")
    assert not match_value("buy milk", "buy-milk")
    assert not match_value("buy milk", "buy oat milk")
    assert not match_value("4", 4)
    assert normalise_text("  'Renew   Passport!' ") == "renew passport"


def test_any_of_accepts_any_listed_value() -> None:
    expected: JsonValue = {"any_of": ["buy milk", "buy some milk"]}
    assert match_value(expected, "Buy some milk")
    assert match_value(expected, "buy milk")
    assert not match_value(expected, "milk")
    assert match_value({"any_of": [4, "four"]}, 4.0)
    nested: JsonValue = {"title": {"any_of": ["a", "b"]}, "completed": False}
    assert match_value(nested, {"id": 1, "title": "B", "completed": False})
    assert not match_value(nested, {"id": 1, "title": "c", "completed": False})


def test_a_mapping_that_merely_mentions_any_of_is_a_plain_mapping() -> None:
    assert match_value({"any_of": "x"}, {"any_of": "x"})
    assert not match_value({"any_of": "x"}, "x")


def test_mappings_match_as_subsets() -> None:
    todo = {"id": 2, "title": "call mom", "completed": True}
    assert match_value({"completed": True}, todo)
    assert match_value({}, todo)
    assert not match_value({"completed": False}, todo)
    assert not match_value({"due": None}, todo)
    assert not match_value({"id": 2}, [todo])


def test_lists_match_element_wise_and_in_length() -> None:
    assert match_value([1, "a"], [1.0, "A"])
    assert match_value([], [])
    assert not match_value([1, 2], [2, 1])
    assert not match_value([1], [1, 2])
    assert not match_value([1], (1,))
    assert not match_value([], None)


def test_null_matches_only_null() -> None:
    assert match_value(None, None)
    assert not match_value(None, 0)
    assert not match_value(None, "")


def test_outcome_of_a_list_of_todos() -> None:
    listed = [
        {"id": 1, "title": "buy milk", "completed": False},
        {"id": 2, "title": "call mom", "completed": True},
    ]
    assert match_outcome([{"title": "buy milk"}, {"id": 2, "completed": True}], listed)
    assert not match_outcome([{"title": "buy milk"}], listed)
    assert match_outcome({"deleted": 3}, {"deleted": 3})
    assert match_outcome(12, 12.000000000001)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8).filter(lambda k: k != "any_of"), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_every_value_matches_itself(value: JsonValue) -> None:
    assert match_value(value, value)
    assert match_value({"any_of": [value]}, value)
    assert first_choice(value) == value


@given(st.floats(allow_nan=False, allow_infinity=False), st.floats(allow_nan=False))
def test_number_equality_is_symmetric(a: float, b: float) -> None:
    assert numbers_equal(a, b) == numbers_equal(b, a)


def test_first_choice_resolves_nested_any_of() -> None:
    value: JsonValue = {
        "title": {"any_of": [{"any_of": ["a", "b"]}, "c"]},
        "ids": [1, {"any_of": [2]}],
    }
    assert first_choice(value) == {"title": "a", "ids": [1, 2]}


# --- calculator expressions --------------------------------------------------------------


def test_expressions_match_by_value() -> None:
    assert match_expression("2 + 2", "4")
    assert match_expression("15 / 100 * 80", "0.15*80")
    assert match_expression("((2+3)*4)**2", "20 ** 2")
    assert match_expression("sqrt(144)", "12")
    assert match_expression("0.1 + 0.2", "0.3")
    assert not match_expression("2 + 2", "5")
    assert not match_expression("3 + 4 * 2", "(3 + 4) * 2")


def test_refused_expressions_match_only_the_same_text() -> None:
    assert match_expression("9**9**9**9", "9 ** 9 ** 9 ** 9")
    assert match_expression("1 / 0", "1/0")
    assert not match_expression("1 / 0", "2 / 0")  # both refused, but not the same request
    assert not match_expression("9**9**9**9", "9**9")  # the actual one is computed
    assert not match_expression("2 + 2", "__import__('os')")  # the actual one is refused


def test_expression_must_be_a_string() -> None:
    assert not match_expression("2 + 2", 4)
    assert not match_expression("2 + 2", None)
    assert match_expression({"any_of": ["1 / 0", "2 + 2"]}, "4")


# --- step inputs -------------------------------------------------------------------------


def test_calculator_input_matches_by_value() -> None:
    assert match_step_input("calculator", {"expression": "12 * 4"}, {"expression": "48"})
    assert not match_step_input("calculator", {"expression": "12 * 4"}, {"expression": "12+4"})


def test_only_the_calculator_expression_is_evaluated() -> None:
    assert not match_step_input("todo_store", {"title": "2 + 2"}, {"title": "4"})


def test_todo_input_needs_the_same_keys() -> None:
    expected: dict[str, JsonValue] = {"action": "complete", "id": 2}
    assert match_step_input("todo_store", expected, {"action": "Complete", "id": 2})
    assert match_step_input("todo_store", expected, {"action": "complete", "id": "2"})
    assert match_step_input("todo_store", expected, {"action": "complete", "id": 2, "title": None})
    assert not match_step_input("todo_store", expected, {"action": "complete", "id": 3})
    assert not match_step_input("todo_store", expected, {"action": "complete"})
    assert not match_step_input(
        "todo_store", expected, {"action": "complete", "id": 2, "title": "x"}
    )


def test_any_of_title_in_step_input() -> None:
    expected: dict[str, JsonValue] = {"action": "add", "title": {"any_of": ["buy milk", "milk"]}}
    assert match_step_input("todo_store", expected, {"action": "add", "title": "Milk"})
    assert not match_step_input("todo_store", expected, {"action": "add", "title": "eggs"})


# --- whole plans -------------------------------------------------------------------------


def expected_steps(*steps: tuple[str, dict[str, JsonValue]]) -> list[ExpectedStep]:
    return [ExpectedStep(tool=tool, input=data) for tool, data in steps]


def planned(*steps: tuple[str, dict[str, JsonValue]]) -> list[PlanStep]:
    return [PlanStep(tool=tool, input=data) for tool, data in steps]


GOLD = expected_steps(
    ("calculator", {"expression": "12 * 3"}),
    ("todo_store", {"action": "add", "title": "pay rent"}),
)


def test_exact_plan() -> None:
    result = compare_plan(
        GOLD,
        planned(
            ("calculator", {"expression": "36"}),
            ("todo_store", {"action": "add", "title": "Pay rent."}),
        ),
    )
    assert result.exact_match
    assert result.tools_match
    assert result.step_count_match
    assert result.args_match
    assert result.step_matches == (True, True)


def test_right_tools_wrong_args() -> None:
    result = compare_plan(
        GOLD,
        planned(
            ("calculator", {"expression": "12 + 3"}),
            ("todo_store", {"action": "add", "title": "pay rent"}),
        ),
    )
    assert result.tools_match
    assert not result.args_match
    assert not result.exact_match
    assert result.step_matches == (False, True)


def test_wrong_order_is_wrong_tools() -> None:
    result = compare_plan(
        GOLD,
        planned(
            ("todo_store", {"action": "add", "title": "pay rent"}),
            ("calculator", {"expression": "36"}),
        ),
    )
    assert result.step_count_match
    assert not result.tools_match
    assert not result.args_match
    assert result.step_matches == (False, False)


def test_right_args_under_a_wrong_tool_name() -> None:
    result = compare_plan(
        GOLD,
        planned(
            ("calc", {"expression": "36"}),
            ("todo_store", {"action": "add", "title": "pay rent"}),
        ),
    )
    assert result.args_match
    assert not result.tools_match
    assert not result.exact_match
    assert result.step_matches == (False, True)


def test_missing_step() -> None:
    result = compare_plan(GOLD, planned(("calculator", {"expression": "36"})))
    assert not result.step_count_match
    assert not result.tools_match
    assert not result.args_match
    assert result.step_matches == (True,)


def test_abstaining() -> None:
    both_empty = compare_plan([], [])
    assert both_empty.exact_match
    assert both_empty.step_matches == ()

    acted = compare_plan([], planned(("calculator", {"expression": "2+2"})))
    assert not acted.exact_match
    assert not acted.tools_match
    assert not acted.step_count_match

    abstained = compare_plan(GOLD, [])
    assert not abstained.exact_match
    assert not abstained.args_match
