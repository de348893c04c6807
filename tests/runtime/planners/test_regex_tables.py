"""The one-scan prefilter of a regex table changes no result, by construction and on data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from crane_bench.runtime.planners.regex_tables import (
    WARM_UP_USES,
    Prefilter,
    SubstitutionTable,
    any_of,
)
from crane_bench.runtime.tools.calculator import arithmetic_text
from crane_bench.runtime.tools.todo.rules import (
    FALLBACK_ADD_RULES,
    MANY_ADD_RULES,
    TODO_RULES,
    TodoRuleTable,
)

ROOT = Path(__file__).parents[3]


def corpus() -> list[str]:
    """Every prompt of the gold suite and the planners' dev sets, as typed and lowered."""
    files = [*(ROOT / "evals/cases").glob("*.yaml")]
    files += (ROOT / "tests/runtime/planners/data").glob("*.yaml")
    prompts = [case["prompt"] for path in files for case in yaml.safe_load(path.read_text())]
    return prompts + [prompt.lower() for prompt in prompts]


def test_any_of_matches_where_one_of_its_patterns_does() -> None:
    joined = any_of([re.compile(r"^add (?P<x>\w+)$", re.I), re.compile(r"(?P<x>\d+)%")])
    assert joined.match("ADD milk")  # the first pattern's own flag, scoped to it
    assert joined.search("take 15% off")
    assert joined.search("Take 15 off") is None
    assert any_of([]).search("anything") is None


def test_a_prefilter_says_maybe_until_it_has_been_asked_enough() -> None:
    built = []

    def patterns() -> list[re.Pattern[str]]:
        built.append(1)
        return [re.compile(r"^add ")]

    prefilter = Prefilter(patterns, anchored=True)
    answers = [prefilter.rules_out("list my todos") for _ in range(WARM_UP_USES)]
    assert answers == [False] * WARM_UP_USES  # "maybe": the table is walked
    assert built == []  # a one-shot process never builds the alternation
    assert prefilter.rules_out("list my todos") is True
    assert prefilter.rules_out("add milk") is False
    assert built == [1]


def test_any_of_refuses_what_it_cannot_scope() -> None:
    with pytest.raises(ValueError, match="cannot join"):
        any_of([re.compile(r"a b", re.VERBOSE)])
    with pytest.raises(ValueError, match="cannot join"):
        any_of([re.compile(r"(?P<w>a)(?P=w)")])


def _one_by_one(rules: tuple[tuple[re.Pattern[str], object], ...], text: str) -> str:
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)  # type: ignore[call-overload]
    return text


@pytest.mark.parametrize(
    "rules",
    [
        arithmetic_text._SYMBOLS,
        arithmetic_text._FRACTIONS,
        arithmetic_text._VERB_SYNONYMS,
        arithmetic_text._PHRASES,
    ],
    ids=["symbols", "fractions", "verb synonyms", "phrases"],
)
def test_a_substitution_table_gives_what_its_rules_give_one_by_one(
    rules: tuple[tuple[re.Pattern[str], object], ...],
) -> None:
    table = SubstitutionTable(rules)  # type: ignore[arg-type]
    texts = corpus()
    applied = [text for text in texts if table.apply(text) != text]
    assert applied  # the data exercises the table, not only its shortcut
    for text in texts:
        assert table.apply(text) == _one_by_one(rules, text)


@pytest.mark.parametrize(
    "rules", [TODO_RULES, MANY_ADD_RULES, FALLBACK_ADD_RULES], ids=["todo", "many", "bare add"]
)
def test_no_todo_rule_matches_where_the_table_says_none_does(rules: TodoRuleTable) -> None:
    texts = corpus()
    hits = 0
    for text in texts:
        some = any(rule.pattern.match(text) for rule in rules)
        assert some == (rules.prefilter.joined.match(text) is not None)
        hits += some
    assert hits > 0


def test_the_verb_forms_prefilter_agrees_with_the_verb_forms() -> None:
    texts = corpus()
    for text in texts:
        some = any(pattern.match(text) for pattern, _ in arithmetic_text._VERB_FORMS)
        assert some == (arithmetic_text._VERB_FORM_PREFILTER.joined.match(text) is not None)
