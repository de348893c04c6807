"""Perturbations: each is deterministic, keeps what the plan needs, and applies where fit."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from crane_bench.evals.cases import Case, load_cases
from crane_bench.evals.perturbations import (
    PERTURBATIONS,
    PerturbContext,
    VariantCase,
    derive_variant,
    parse_perturb_option,
    perturbation,
    protected_words,
    with_variants,
)
from crane_bench.evals.perturbations.numbers import number_in_words
from crane_bench.evals.perturbations.words import is_plan_word
from crane_bench.runtime.errors import UserError
from tests.evals.eval_helpers import case

GOLD = load_cases([Path(__file__).resolve().parents[2] / "evals" / "cases"])
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+(?:'\w+)?", text.lower()))


def apply(name: str, prompt: str, *, protected: frozenset[str] = frozenset()) -> str | None:
    context = PerturbContext(rng=random.Random(7), protected=protected)
    return PERTURBATIONS[name](prompt, context)


def todo_case(prompt: str, title: str = "buy milk") -> Case:
    step = {"tool": "todo_store", "input": {"action": "add", "title": title}}
    return case({"id": "t", "prompt": prompt, "category": "todo", "expected": {"steps": [step]}})


def two_step_case(prompt: str, second: dict[str, object]) -> Case:
    first = {"tool": "calculator", "input": {"expression": "9 * 11"}}
    steps = [first, {"tool": "todo_store", "input": second}]
    return case(
        {"id": "m", "prompt": prompt, "category": "multi_step", "expected": {"steps": steps}}
    )


def test_every_perturbation_is_registered() -> None:
    assert set(PERTURBATIONS) == {
        "casing", "punctuation", "whitespace", "polite", "filler", "typos", "synonyms",
        "number_format", "clause_order",
    }  # fmt: skip


@pytest.mark.parametrize("name", sorted(PERTURBATIONS))
def test_variants_are_deterministic_and_depend_on_the_seed_only(name: str) -> None:
    for source in GOLD:
        first, again = derive_variant(source, name, 3), derive_variant(source, name, 3)
        assert (first and first.prompt) == (again and again.prompt)


@pytest.mark.parametrize("name", sorted(PERTURBATIONS))
def test_variants_keep_every_quoted_word_and_number(name: str) -> None:
    for source in GOLD:
        variant = derive_variant(source, name)
        if variant is None:
            continue
        quoted = protected_words(source) & _words(source.prompt)
        assert quoted <= _words(variant.prompt), variant.id
        if name != "number_format":
            assert sorted(NUMBER.findall(source.prompt)) == sorted(NUMBER.findall(variant.prompt))


def test_surface_perturbations_change_only_the_typing() -> None:
    assert apply("casing", "Add buy milk") in {"ADD BUY MILK", "add buy milk"}
    assert apply("punctuation", "what is 2 + 2?") == "what is 2 + 2"
    assert apply("punctuation", "what is 2 + 2") == "what is 2 + 2?"
    spaced = apply("whitespace", "show my list")
    assert spaced is not None
    assert spaced != "show my list"
    assert spaced.split() == ["show", "my", "list"]


def test_wrappers_keep_the_request_whole() -> None:
    for name in ("polite", "filler"):
        for prompt in ("add buy milk to my list", "What is 2 + 2?"):
            wrapped = apply(name, prompt)
            assert wrapped is not None
            core = prompt.rstrip("?").lower()
            assert core[1:] in wrapped.lower(), (name, wrapped)


def test_typos_leave_titles_cues_numbers_and_connectives_alone() -> None:
    prompt = "could you please remember buy milk then calculate 12 plus 3 for me"
    text = apply("typos", prompt, protected=frozenset({"buy", "milk"}))
    assert text is not None
    assert text != prompt
    for kept in ("buy milk", "then", "calculate", "12", "plus", "3"):
        assert kept in text
    assert is_plan_word("todo", frozenset())
    assert is_plan_word("seven", frozenset())
    assert not is_plan_word("please", frozenset())


def test_typos_do_not_apply_where_every_word_matters() -> None:
    assert apply("typos", "add todo 3") is None


def test_synonyms_swap_verbs_and_nouns_but_not_inside_a_title() -> None:
    assert apply("synonyms", "delete todo 3") == "remove task 3"
    assert apply("synonyms", "Show my tasks") == "Display my todos"
    assert apply("synonyms", "add show tickets", protected=frozenset({"show", "tickets"})) is None


def test_number_format_writes_numbers_the_other_way() -> None:
    assert apply("number_format", "delete todo 5") == "delete todo five"
    assert apply("number_format", "what is 4,500 - 1,275") == "what is 4500 - 1275"
    assert apply("number_format", "add 2500 and 42") == "add 2,500 and forty-two"
    for fixed in ("compute 2^8", "compute 15%", "show task #5", "what is 3.5 * 2"):
        assert apply("number_format", fixed) is None, fixed
    assert apply("number_format", "add pay 50 rent", protected=frozenset({"50"})) is None
    assert number_in_words(0) == "zero"
    with pytest.raises(ValueError, match="outside"):
        number_in_words(100)


def test_clause_order_swaps_independent_requests_and_their_steps() -> None:
    add = {"action": "add", "title": "renew card"}
    source = two_step_case("calculate 9 * 11, and also add renew card to my todos", add)
    variant = derive_variant(source, "clause_order")
    assert variant is not None
    assert variant.prompt == "add renew card to my todos, and also calculate 9 * 11"
    assert [s.tool for s in variant.expected.steps] == ["todo_store", "calculator"]
    plain = derive_variant(
        two_step_case("calculate 9 * 11 and add renew card", add), "clause_order"
    )
    assert plain is not None
    assert plain.prompt == "add renew card and calculate 9 * 11"


@pytest.mark.parametrize(
    ("prompt", "second"),
    [
        ("calculate 9 * 11, and then add renew card", {"action": "add", "title": "renew card"}),
        ("calculate 9 * 11; show my list", {"action": "list"}),
        ("calculate 9 and 11, and add renew card", {"action": "add", "title": "renew card"}),
        ("delete todos 2 and 3", {"action": "delete", "id": 3}),
    ],
)
def test_clause_order_leaves_ordered_or_dependent_requests(
    prompt: str, second: dict[str, object]
) -> None:
    assert derive_variant(two_step_case(prompt, second), "clause_order") is None


def test_with_variants_tags_each_variant_and_skips_adversarial_cases() -> None:
    cases = [todo_case("add buy milk"), case({**_ADV, "id": "adv"})]
    out = with_variants(cases, parse_perturb_option("casing,filler"))
    variants = [c for c in out if isinstance(c, VariantCase)]
    assert out[:2] == cases
    assert [(v.id, v.source_case, v.perturbation) for v in variants] == [
        ("t.casing", "t", "casing"),
        ("t.filler", "t", "filler"),
    ]
    assert all(v.expected == cases[0].expected for v in variants)
    assert with_variants(cases, ()) == cases


def test_a_variant_id_that_clashes_with_a_case_is_a_user_error() -> None:
    cases = [todo_case("add buy milk"), case({**todo_case("x").model_dump(), "id": "t.casing"})]
    with pytest.raises(UserError, match=r"t\.casing"):
        with_variants(cases, ("casing",))


def test_unknown_names_are_user_errors_that_list_the_known_ones() -> None:
    assert parse_perturb_option("all") == tuple(PERTURBATIONS)
    assert parse_perturb_option(None) == ()
    assert parse_perturb_option("typos, casing,typos") == ("typos", "casing")
    with pytest.raises(UserError, match="unknown perturbation 'nope'; known: casing"):
        parse_perturb_option("casing,nope")


def test_registering_a_name_twice_or_a_bad_name_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        perturbation("casing")(lambda prompt, context: prompt)
    with pytest.raises(ValueError, match="bad perturbation name"):
        perturbation("Bad Name")


_ADV = {
    "prompt": "calculate __import__('os')",
    "category": "adversarial",
    "expected": {"steps": []},
}
