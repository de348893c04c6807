"""The robustness sets: well formed, disjoint from the gold suite, the bank and each other.

`paraphrase_dev.yaml` holds pairs (`para-N-orig`, `para-N-para`) with one plan each;
`ood_dev.yaml` holds out-of-domain prompts whose right plan is no tool. The planners are
tuned on these two. `paraphrase_holdout.yaml` and `ood_holdout.yaml` have the same shapes;
they were held out for session 3's changes (measured once before and once after) and
retired into dev in session 4, once their failures had been read. No set may share a prompt
with the gold suite, the example bank, `llm_dev.yaml` or another set, as a whole prompt or
as one of its clauses (the same check `test_examples.py` makes for the bank).

The second held-out pair (`paraphrase_holdout_2.yaml`, `ood_holdout_2.yaml`) is the
held-out set now: written blind, before the rule changes it measures, and never tuned on. Its
paraphrase set opens with gold paraphrases: each `-orig` tagged `gold-copy` is a gold case
copied exactly, so it is the one kind of prompt allowed to be a gold prompt, and it must
still equal its gold case.

The third held-out pair (`paraphrase_holdout_3.yaml`, `ood_holdout_3.yaml`) was written
blind the same way, by someone who had read neither the rules nor the other sets, and has
no gold copies: every prompt in it is new. The fourth held-out pair
(`paraphrase_holdout_4.yaml`, `ood_holdout_4.yaml`) was written the same way again, blind
to the rules and to the first three held-out pairs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest

from crane_bench.evals.cases import Case, load_case_file, load_cases
from crane_bench.runtime.planners.examples import load_bank
from tests.evals.test_suite import assert_runs_as_promised
from tests.runtime.planners.test_examples import DEV_PATH, GOLD_DIR, normalised, prompt_forms

DATA = Path(__file__).with_name("data")
PARAPHRASE_PATH = DATA / "paraphrase_dev.yaml"
OOD_PATH = DATA / "ood_dev.yaml"
PARAPHRASE_HOLDOUT_PATH = DATA / "paraphrase_holdout.yaml"
OOD_HOLDOUT_PATH = DATA / "ood_holdout.yaml"
PARAPHRASE_HOLDOUT_2_PATH = DATA / "paraphrase_holdout_2.yaml"
OOD_HOLDOUT_2_PATH = DATA / "ood_holdout_2.yaml"
PARAPHRASE_HOLDOUT_3_PATH = DATA / "paraphrase_holdout_3.yaml"
OOD_HOLDOUT_3_PATH = DATA / "ood_holdout_3.yaml"
PARAPHRASE_HOLDOUT_4_PATH = DATA / "paraphrase_holdout_4.yaml"
OOD_HOLDOUT_4_PATH = DATA / "ood_holdout_4.yaml"
HOLDOUT_2_SETS = (PARAPHRASE_HOLDOUT_2_PATH, OOD_HOLDOUT_2_PATH)
HOLDOUT_3_SETS = (PARAPHRASE_HOLDOUT_3_PATH, OOD_HOLDOUT_3_PATH)
HOLDOUT_4_SETS = (PARAPHRASE_HOLDOUT_4_PATH, OOD_HOLDOUT_4_PATH)
PARAPHRASE_SETS = (
    PARAPHRASE_PATH,
    PARAPHRASE_HOLDOUT_PATH,
    PARAPHRASE_HOLDOUT_2_PATH,
    PARAPHRASE_HOLDOUT_3_PATH,
    PARAPHRASE_HOLDOUT_4_PATH,
)
OOD_SETS = (
    OOD_PATH,
    OOD_HOLDOUT_PATH,
    OOD_HOLDOUT_2_PATH,
    OOD_HOLDOUT_3_PATH,
    OOD_HOLDOUT_4_PATH,
)
ROBUST_SETS = (*PARAPHRASE_SETS, *OOD_SETS)
GOLD_COPY = "gold-copy"
GOLD_TAG = "gold:"


def _forms(cases: list[Case]) -> set[str]:
    return set().union(*(prompt_forms(case.prompt) for case in cases))


def _written(path: Path) -> list[Case]:
    """The cases of a set that were written for it: all but the exact gold copies."""
    return [case for case in load_case_file(path) if GOLD_COPY not in case.tags]


@pytest.mark.parametrize("path", ROBUST_SETS, ids=lambda p: p.name)
def test_no_dev_prompt_is_a_gold_prompt_or_clause(path: Path) -> None:
    gold = _forms(load_cases([GOLD_DIR]))
    assert [c.id for c in _written(path) if normalised(c.prompt) in gold] == []


def test_gold_copies_are_tagged_originals_of_the_second_paraphrase_holdout_only() -> None:
    for path in ROBUST_SETS:
        copies = [c for c in load_case_file(path) if GOLD_COPY in c.tags]
        if path != PARAPHRASE_HOLDOUT_2_PATH:
            assert copies == [], path.name
            continue
        assert len(copies) >= 30
        assert all(c.id.endswith("-orig") and c.tags[0] == "original" for c in copies)
        gold_tags = [[t for t in c.tags if t.startswith(GOLD_TAG)] for c in copies]
        assert all(len(tags) == 1 for tags in gold_tags)
        assert len({tags[0] for tags in gold_tags}) == len(copies)  # no gold case twice


def test_each_gold_copy_equals_its_gold_case() -> None:
    gold = {case.id: case for case in load_cases([GOLD_DIR])}
    copies = [c for c in load_case_file(PARAPHRASE_HOLDOUT_2_PATH) if GOLD_COPY in c.tags]
    for copy in copies:
        (tag,) = (t for t in copy.tags if t.startswith(GOLD_TAG))
        original = gold[tag.removeprefix(GOLD_TAG)]
        fields = ("prompt", "category", "setup", "expected")
        assert [getattr(copy, f) for f in fields] == [getattr(original, f) for f in fields], copy.id


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


@pytest.mark.parametrize(
    "own", [HOLDOUT_2_SETS, HOLDOUT_3_SETS, HOLDOUT_4_SETS], ids=["second", "third", "fourth"]
)
def test_a_blind_holdout_shares_no_prompt_or_clause_with_the_other_sets(
    own: tuple[Path, Path],
) -> None:
    """Clauses too, both ways, against llm_dev and every other robustness set, and between
    its own two files (whole prompts are checked across all sets above)."""
    others = (DEV_PATH, *(path for path in ROBUST_SETS if path not in own))
    group_paths = (*((path,) for path in own), others)
    groups = [[c for path in paths for c in _written(path)] for paths in group_paths]
    for i, cases in enumerate(groups):
        for j, other in enumerate(groups):
            if i != j:
                forms = _forms(other)
                assert [c.id for c in cases if normalised(c.prompt) in forms] == [], (i, j)


@pytest.mark.parametrize(
    ("path", "prefix", "least"),
    [
        (OOD_HOLDOUT_2_PATH, "ood-h2-", 150),
        (OOD_HOLDOUT_3_PATH, "ood-h3-", 120),
        (OOD_HOLDOUT_4_PATH, "ood-h4-", 120),
    ],
    ids=["second", "third", "fourth"],
)
def test_blind_ood_holdouts_have_enough_of_each_kind(path: Path, prefix: str, least: int) -> None:
    cases = load_case_file(path)
    counts = Counter(tag for case in cases for tag in case.tags)
    assert len(cases) >= least
    assert [c.id for c in cases if not c.id.startswith(prefix)] == []
    assert counts["numbers-no-math"] >= 20
    assert counts["todo-words-no-todo"] >= 20
    assert set(counts) <= {
        "questions",
        "chitchat",
        "other-tools",
        "other-language",
        "numbers-no-math",
        "todo-words-no-todo",
    }


def test_second_paraphrase_holdout_has_gold_and_new_pairs_with_many_multi_step() -> None:
    cases = load_case_file(PARAPHRASE_HOLDOUT_2_PATH)
    new = [c for c in cases if c.id.endswith("-orig") and GOLD_COPY not in c.tags]
    assert [c.id for c in cases if not c.id.startswith("para-h2-")] == []
    assert len(new) >= 30
    assert sum(c.category == "multi_step" for c in new) >= 10
    assert sum(c.category == "multi_step" and bool(c.setup.todos) for c in new) >= 3


@pytest.mark.parametrize(
    ("path", "prefix"),
    [(PARAPHRASE_HOLDOUT_3_PATH, "para-h3-"), (PARAPHRASE_HOLDOUT_4_PATH, "para-h4-")],
    ids=["third", "fourth"],
)
def test_later_paraphrase_holdouts_are_fifty_new_pairs_of_each_kind(
    path: Path, prefix: str
) -> None:
    cases = load_case_file(path)
    originals = [c for c in cases if c.id.endswith("-orig")]
    assert [c.id for c in cases if not c.id.startswith(prefix)] == []
    assert len(originals) >= 50
    counts = Counter(c.category for c in originals)
    assert set(counts) == {"calculator", "todo", "multi_step"}
    assert min(counts.values()) >= 15, counts
    todo_actions = {
        step.input["action"] for c in originals if c.category == "todo" for step in c.expected.steps
    }
    assert todo_actions == {"add", "list", "get", "complete", "delete", "update"}
    multi = [c for c in originals if c.category == "multi_step"]
    assert (
        sum({s.tool for s in c.expected.steps} == {"calculator", "todo_store"} for c in multi) >= 3
    )
    assert sum(len(c.expected.steps) >= 3 for c in multi) >= 2
    assert sum(bool(c.setup.todos) for c in multi) >= 3


@pytest.mark.parametrize(
    "case",
    [
        c
        for path in (
            PARAPHRASE_HOLDOUT_2_PATH,
            PARAPHRASE_HOLDOUT_3_PATH,
            PARAPHRASE_HOLDOUT_4_PATH,
        )
        for c in load_case_file(path)
    ],
    ids=lambda c: c.id,
)
async def test_blind_paraphrase_holdout_plans_run_as_promised(case: Case) -> None:
    """Each expected plan runs on the real tools: expressions evaluate, ids exist."""
    await assert_runs_as_promised(case)


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
