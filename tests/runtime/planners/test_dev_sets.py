"""The robustness sets: well formed, and disjoint from the gold suite, the bank and each other.

`paraphrase_dev.yaml` holds pairs (`para-N-orig`, `para-N-para`) with one plan each;
`ood_dev.yaml` holds out-of-domain prompts whose right plan is no tool. The planners are
tuned on these two. `paraphrase_holdout.yaml` and `ood_holdout.yaml` have the same
shapes and are never tuned on: they report how a change does on prompts it was not made
for. No set may share a prompt with the gold suite, the example bank, `llm_dev.yaml` or
another set, as a whole prompt or as one of its clauses (the same check
`test_examples.py` makes for the bank).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from evals.cases import Case, load_case_file, load_cases
from runtime.planners.examples import load_bank
from tests.runtime.planners.test_examples import DEV_PATH, GOLD_DIR, normalised, prompt_forms

DATA = Path(__file__).with_name("data")
PARAPHRASE_PATH = DATA / "paraphrase_dev.yaml"
OOD_PATH = DATA / "ood_dev.yaml"
PARAPHRASE_HOLDOUT_PATH = DATA / "paraphrase_holdout.yaml"
OOD_HOLDOUT_PATH = DATA / "ood_holdout.yaml"
PARAPHRASE_SETS = (PARAPHRASE_PATH, PARAPHRASE_HOLDOUT_PATH)
OOD_SETS = (OOD_PATH, OOD_HOLDOUT_PATH)
ROBUST_SETS = (*PARAPHRASE_SETS, *OOD_SETS)


def _forms(cases: list[Case]) -> set[str]:
    return set().union(*(prompt_forms(case.prompt) for case in cases))


@pytest.mark.parametrize("path", ROBUST_SETS, ids=lambda p: p.name)
def test_no_dev_prompt_is_a_gold_prompt_or_clause(path: Path) -> None:
    gold = _forms(load_cases([GOLD_DIR]))
    assert [c.id for c in load_case_file(path) if normalised(c.prompt) in gold] == []


@pytest.mark.parametrize("path", ROBUST_SETS, ids=lambda p: p.name)
def test_no_bank_example_is_a_dev_prompt_or_clause(path: Path) -> None:
    forms = _forms(load_case_file(path))
    assert [e.text for e in load_bank() if normalised(e.text) in forms] == []


def test_the_robustness_sets_share_no_prompt_with_each_other_or_llm_dev() -> None:
    seen: dict[str, str] = {}
    clashes = []
    for path in (*ROBUST_SETS, DEV_PATH):
        for case in load_case_file(path):
            key = normalised(case.prompt)
            if key in seen:
                clashes.append((seen[key], case.id))
            seen[key] = case.id
    assert clashes == []


def test_no_holdout_prompt_is_a_clause_of_a_dev_prompt_or_the_reverse() -> None:
    dev = _forms([c for path in (PARAPHRASE_PATH, OOD_PATH) for c in load_case_file(path)])
    holdout_cases = [
        c for path in (PARAPHRASE_HOLDOUT_PATH, OOD_HOLDOUT_PATH) for c in load_case_file(path)
    ]
    holdout = _forms(holdout_cases)
    assert [c.id for c in holdout_cases if normalised(c.prompt) in dev] == []
    dev_cases = [c for path in (PARAPHRASE_PATH, OOD_PATH) for c in load_case_file(path)]
    assert [c.id for c in dev_cases if normalised(c.prompt) in holdout] == []


@pytest.mark.parametrize("path", OOD_SETS, ids=lambda p: p.name)
def test_ood_sets_are_a_few_hundred_abstentions_in_several_kinds(path: Path) -> None:
    cases = load_case_file(path)
    assert len(cases) >= 100
    assert all(case.expected.steps == () and case.category == "out_of_domain" for case in cases)
    kinds = {tag for case in cases for tag in case.tags}
    assert {"questions", "chitchat", "other-tools", "other-language"} <= kinds


@pytest.mark.parametrize("path", PARAPHRASE_SETS, ids=lambda p: p.name)
def test_paraphrase_pairs_share_one_plan_and_differ_in_wording(path: Path) -> None:
    pairs: dict[str, list[Case]] = defaultdict(list)
    for case in load_case_file(path):
        pairs[case.id.rsplit("-", 1)[0]].append(case)
    assert len(pairs) >= 40
    for name, (orig, para) in pairs.items():
        assert (orig.id, para.id) == (f"{name}-orig", f"{name}-para")
        assert orig.expected == para.expected, name
        assert orig.setup == para.setup, name
        assert normalised(orig.prompt) != normalised(para.prompt), name
        assert (orig.tags[0], para.tags[0]) == ("original", "paraphrase")
