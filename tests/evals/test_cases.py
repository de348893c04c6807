"""The case format: models, loader errors, JSON schema, and the `cases` CLI."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from crane_bench.cli.cases import cases_app
from crane_bench.evals.cases import (
    Case,
    case_files,
    case_json_schema,
    count_by_category,
    load_case_file,
    load_cases,
)
from crane_bench.evals.errors import CaseFormatError, EvalError
from crane_bench.runtime.errors import UserError

GOOD = """\
- id: calc-add
  prompt: "calculate 2 + 2"
  category: calculator
  expected:
    steps:
      - tool: calculator
        input: {expression: "2 + 2"}
    outcome: 4
- id: todo-add
  prompt: "add buy milk"
  category: todo
  tags: [add]
  setup:
    todos: ["call mom"]
  expected:
    steps:
      - tool: todo_store
        input: {action: add, title: {any_of: ["buy milk", "buy some milk"]}}
    outcome: {id: 2, title: "buy milk"}
- id: hello
  prompt: "hi"
  category: abstain
  expected:
    steps: []
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    with pytest.raises(CaseFormatError) as info:
        load_cases([path])
    message = str(info.value)
    assert "\n" not in message
    return message


def case_with(expected: str, extra: str = "") -> str:
    return f"""\
- id: the-case
  prompt: "p"
  category: calculator
{extra}  expected:
{textwrap.indent(textwrap.dedent(expected), "    ")}"""


# --- models ------------------------------------------------------------------------------


def test_good_file_loads_with_defaults(tmp_path: Path) -> None:
    cases = load_case_file(write(tmp_path, "good.yaml", GOOD))

    assert [case.id for case in cases] == ["calc-add", "todo-add", "hello"]
    calc, todo, hello = cases
    assert calc.tags == ()
    assert calc.setup.todos == ()
    assert calc.expected.fails is False
    assert calc.expected.outcome == 4
    assert calc.expected.steps[0].input == {"expression": "2 + 2"}
    assert todo.setup.todos == ("call mom",)
    assert todo.expected.steps[0].input["title"] == {"any_of": ["buy milk", "buy some milk"]}
    assert hello.expected.steps == ()
    assert hello.expected.outcome is None


def test_other_categories_are_allowed() -> None:
    case = Case.model_validate(
        {"id": "x", "prompt": "p", "category": "unit_conversion", "expected": {"steps": []}}
    )
    assert case.category == "unit_conversion"


def test_count_by_category_is_sorted(tmp_path: Path) -> None:
    cases = load_case_file(write(tmp_path, "good.yaml", GOOD))
    assert count_by_category(cases) == {"abstain": 1, "calculator": 1, "todo": 1}


def test_case_format_error_is_a_user_error() -> None:
    assert issubclass(CaseFormatError, EvalError)
    assert issubclass(CaseFormatError, UserError)


# --- one clear line per malformed case ---------------------------------------------------


def test_missing_field_names_file_case_position_line_and_field(tmp_path: Path) -> None:
    text = GOOD + textwrap.dedent("""\
        - id: todo-add-1
          prompt: "add x"
          category: todo
          expected:
            steps:
              - input: {action: add, title: x}
        """)
    path = write(tmp_path, "todo.yaml", text)

    assert load_error(path) == (
        f"{path}: case 'todo-add-1' (#4, line 25): expected.steps.0.tool: Field required"
    )


def test_case_without_id_is_named_by_position(tmp_path: Path) -> None:
    path = write(
        tmp_path, "c.yaml", '- prompt: "hi"\n  category: abstain\n  expected: {steps: []}\n'
    )
    assert load_error(path) == f"{path}: case #1, line 1: id: Field required"


def test_unknown_field_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", case_with("steps: []\n", extra="  prompts: typo\n"))
    assert "case 'the-case' (#1, line 1): prompts: Extra inputs are not permitted" in load_error(
        path
    )


def test_bad_id_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", case_with("steps: []\n").replace("the-case", "Bad Id"))
    message = load_error(path)
    assert "case 'Bad Id' (#1, line 1): id: String should match pattern" in message


def test_several_problems_are_counted_on_the_same_line(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "- id: x\n")
    assert load_error(path) == (
        f"{path}: case 'x' (#1, line 1): prompt: Field required (and 2 more)"
    )


@pytest.mark.parametrize(
    ("expected", "problem"),
    [
        ("steps: []\nfails: true\n", "expected: fails: true needs at least one step that fails"),
        ("steps: []\noutcome: 4\n", "expected: an abstaining case (steps: []) has no outcome"),
        (
            "steps: [{tool: calculator, input: {expression: '1/0'}}]\nfails: true\noutcome: 1\n",
            "expected: a case that fails has no outcome; drop one of them",
        ),
        (
            "steps: [{tool: todo_store, input: {title: {any_of: []}}}]\n",
            "expected.steps.0.input: title: any_of needs a non-empty list of values",
        ),
        (
            "steps: [{tool: todo_store, input: {title: {any_of: [a], x: 1}}}]\n",
            "expected.steps.0.input: title: any_of must be the only key of its mapping",
        ),
        (
            "steps: [{tool: calculator, input: {expression: '1'}}]\n"
            "outcome: [{title: {any_of: b}}]\n",
            "expected.outcome: outcome.0.title: any_of needs a non-empty list of values",
        ),
        ("steps: [{tool: '', input: {}}]\n", "expected.steps.0.tool: String should have at least"),
        (
            "steps:\n" + "  - {tool: calculator}\n" * 9,
            "expected.steps: Tuple should have at most 8",
        ),
    ],
)
def test_inconsistent_expectations_are_refused(tmp_path: Path, expected: str, problem: str) -> None:
    path = write(tmp_path, "c.yaml", case_with(expected))
    message = load_error(path)
    assert message.startswith(f"{path}: case 'the-case' (#1, line 1): {problem}"), message


def test_setup_titles_are_checked(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", case_with("steps: []\n", extra="  setup: {todos: ['']}\n"))
    assert "setup.todos.0: String should have at least 1 character" in load_error(path)


def test_blank_prompt_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", case_with("steps: []\n").replace('"p"', '"   "'))
    assert "prompt: the prompt is blank" in load_error(path)


def test_yaml_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "- id: a\n  prompt: [unclosed\n  category: x\n")
    # libyaml (PyYAML's wheels) and PyYAML's own parser word the problem differently.
    problem = (
        "did not find expected ',' or ']'"
        if yaml.__with_libyaml__
        else "expected ',' or ']', but got ':'"
    )
    assert load_error(path) == (
        f"{path}: line 3, column 11: YAML error: {problem} "
        "(while parsing a flow sequence at line 2)"
    )


def test_duplicate_key_is_refused_with_its_line(tmp_path: Path) -> None:
    text = case_with("steps: []\n", extra='  prompt: "again"\n')
    path = write(tmp_path, "c.yaml", text)
    assert load_error(path) == f"{path}: line 4, column 3: YAML error: duplicate key 'prompt'"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty file; expected a list of cases"),
        ("id: x\n", "expected a list of cases at the top level, got dict"),
        ("- just a string\n", "case #1, line 1: expected a mapping, got str"),
    ],
)
def test_wrong_shapes_are_refused(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path, "c.yaml", text)
    assert load_error(path) == f"{path}: {problem}"


def test_non_utf8_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"- id: \xff\n")
    assert load_error(path) == f"{path}: not UTF-8 text"


# --- many files --------------------------------------------------------------------------


def test_ids_must_be_unique_across_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", GOOD)
    second = write(tmp_path, "b.yaml", case_with("steps: []\n").replace("the-case", "hello"))

    message = load_error(tmp_path)
    assert message == f"{second}: case 'hello' (#1): id: duplicate of {first} case #3"


def test_directory_is_read_sorted_and_not_recursively(tmp_path: Path) -> None:
    write(tmp_path, "b.yml", case_with("steps: []\n").replace("the-case", "from-b"))
    write(tmp_path, "a.yaml", case_with("steps: []\n").replace("the-case", "from-a"))
    write(tmp_path, "README.md", "not cases")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "c.yaml", case_with("steps: []\n").replace("the-case", "from-c"))

    assert [case.id for case in load_cases([tmp_path])] == ["from-a", "from-b"]


def test_a_file_named_twice_is_read_once(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", GOOD)
    assert case_files([path, tmp_path, path]) == [path]
    assert len(load_cases([path, tmp_path])) == 3


def test_missing_path_and_non_yaml_file_are_refused(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert load_error(missing) == f"{missing}: no such file or directory"
    text = write(tmp_path, "cases.txt", GOOD)
    assert load_error(text) == f"{text}: not a .yaml or .yml file"


# --- JSON schema -------------------------------------------------------------------------


def test_schema_describes_a_list_of_strict_cases() -> None:
    schema = case_json_schema()

    assert schema["type"] == "array"
    assert schema["items"] == {"$ref": "#/$defs/Case"}
    case = schema["$defs"]["Case"]
    assert case["additionalProperties"] is False
    assert set(case["required"]) == {"id", "prompt", "category", "expected"}
    assert case["properties"]["id"]["pattern"] == "^[a-z0-9][a-z0-9_.-]*$"
    assert "abstain" in case["properties"]["category"]["description"]
    for name in ("Case", "CaseSetup", "ExpectedPlan", "ExpectedStep"):
        assert schema["$defs"][name]["additionalProperties"] is False
        for field in schema["$defs"][name]["properties"].values():
            assert field.get("description"), name


def test_schema_accepts_a_good_file_and_rejects_a_bad_one() -> None:
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    validator = jsonschema_rs.validator_for(case_json_schema())
    good = yaml.safe_load(GOOD)
    assert validator.is_valid(good)
    bad = [dict(good[0], surprise=True)]
    assert not validator.is_valid(bad)


# --- CLI ---------------------------------------------------------------------------------


def test_cli_schema_prints_the_schema() -> None:
    result = CliRunner().invoke(cases_app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == case_json_schema()


def test_cli_check_prints_counts(tmp_path: Path) -> None:
    write(tmp_path, "good.yaml", GOOD)
    write(tmp_path, "more.yaml", case_with("steps: []\n").replace("calculator", "weather"))

    result = CliRunner().invoke(cases_app, ["check", str(tmp_path)])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "abstain        1",
        "calculator     1",
        "todo           1",
        "weather        1  (not a well-known category)",
        "total          4",
    ]


def test_cli_check_malformed_file_exits_2_with_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", case_with("steps: []\n").replace("the-case", "Bad Id"))

    result = CliRunner().invoke(cases_app, ["check", str(path)])

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    line = " ".join(result.stderr.split())
    assert line.startswith("error: ")
    # The pattern's brackets survive: rich would otherwise read them as markup.
    assert "should match pattern '^[a-z0-9][a-z0-9_.-]*$'" in line
