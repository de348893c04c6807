"""The example bank: valid, fit for the grammars, and disjoint from every evaluation set.

The overlap tests are the only place that reads the gold prompts next to the bank: a
bank example (or a development prompt) that also appears in the gold suite, as a whole
prompt or as one of its clauses, would let the planner see the answers it is scored on.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from pathlib import Path

import pytest

from crane_bench.evals.cases import load_case_file, load_cases
from crane_bench.runtime.errors import ConfigError
from crane_bench.runtime.planners.decomposed import request_openers, split_clauses
from crane_bench.runtime.planners.examples import (
    LABELS,
    Example,
    SimilarityIndex,
    features,
    label_step,
    load_bank,
)
from crane_bench.runtime.planners.grammars import clause_ids
from crane_bench.runtime.planners.validation import arithmetic_problem
from crane_bench.runtime.tools.calculator.answer import clause_numbers

ROOT = Path(__file__).resolve().parents[3]
GOLD_DIR = ROOT / "evals" / "cases"
DEV_PATH = Path(__file__).with_name("data") / "llm_dev.yaml"
BANK = load_bank()
OPENERS = request_openers(BANK)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_EDGES = string.punctuation + string.whitespace + "“”‘’"


def normalised(text: str) -> str:
    """Lower case, single spaces, no punctuation at either end."""
    return " ".join(text.lower().split()).strip(_EDGES)


def prompt_forms(prompt: str) -> set[str]:
    """A prompt and each of its clauses, normalised."""
    return {normalised(prompt)} | {normalised(c) for c in split_clauses(prompt, OPENERS)}


def copyable(clause: str, title: str) -> bool:
    """True when the copy-title grammar can write `title` for `clause`."""
    words = clause.split()
    wanted = title.split()
    for start in range(len(words) - len(wanted) + 1):
        run = words[start : start + len(wanted)]
        inner_ok = run[1:-1] == wanted[1:-1]
        first_ok = run[0] == wanted[0] or run[0].lstrip("\"'“‘") == wanted[0]
        last = run[-1] if len(run) > 1 else run[0].lstrip("\"'“‘")
        last_ok = last == wanted[-1] or last.rstrip("\"'”’.,;:!?") == wanted[-1]
        if inner_ok and first_ok and last_ok:
            return True
    return False


# --- the bank itself -------------------------------------------------------------------


def test_bank_has_a_useful_size_and_every_label() -> None:
    counts = Counter(example.label for example in BANK)
    assert 150 <= len(BANK) <= 300
    assert set(counts) == set(LABELS)
    assert min(counts.values()) >= 10


def test_bank_texts_are_unique() -> None:
    texts = Counter(normalised(example.text) for example in BANK)
    assert [text for text, n in texts.items() if n > 1] == []


@pytest.mark.parametrize("example", BANK, ids=lambda e: e.text[:40])
def test_bank_answers_fit_what_the_grammar_allows(example: Example) -> None:
    if example.id is not None:
        assert example.id in clause_ids(example.text)
    if example.title is not None:
        assert copyable(example.text, example.title), example.title
    if example.expression is not None:
        allowed = clause_numbers(example.text)
        assert all(n in allowed for n in _NUMBER.findall(example.expression))
        assert arithmetic_problem(example.expression) is None


def test_example_steps_are_plan_steps() -> None:
    steps = {example.label: example.to_step() for example in BANK}
    assert steps["none"] is None
    assert label_step("todo_list") is not None
    update = next(example for example in BANK if example.label == "todo_update").to_step()
    assert update is not None
    assert update.tool == "todo_store"
    assert set(update.input) == {"action", "id", "title"}


def test_a_malformed_bank_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "bank.yaml"
    path.write_text("- {text: add milk, label: todo_add, id: 3}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="todo_add"):
        load_bank(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_bank(tmp_path / "missing.yaml")


# --- disjoint from the development and gold sets ----------------------------------------


def test_no_bank_example_is_a_dev_prompt_or_clause() -> None:
    dev_forms = set().union(*(prompt_forms(c.prompt) for c in load_case_file(DEV_PATH)))
    assert [e.text for e in BANK if normalised(e.text) in dev_forms] == []


def test_no_bank_example_is_a_gold_prompt_or_clause() -> None:
    gold_forms = set().union(*(prompt_forms(c.prompt) for c in load_cases([GOLD_DIR])))
    assert [e.text for e in BANK if normalised(e.text) in gold_forms] == []


def test_no_dev_prompt_is_a_gold_prompt() -> None:
    gold = {normalised(c.prompt) for c in load_cases([GOLD_DIR])}
    assert [c.id for c in load_case_file(DEV_PATH) if normalised(c.prompt) in gold] == []


# --- similarity ---------------------------------------------------------------------------


def test_features_mask_digits_and_case() -> None:
    assert features("Delete task 3") == features("delete task 7")
    assert features("delete task 3") != features("delete task")


def test_nearest_puts_the_closest_first_and_caps_labels() -> None:
    bank = [
        Example(text="remove todo 4", label="todo_delete", id=4),
        Example(text="remove todo 4 now", label="todo_delete", id=4),
        Example(text="what is 2 plus 2", label="calculator", expression="2 + 2"),
        Example(text="tell me a joke", label="none"),
    ]
    index = SimilarityIndex(bank)
    assert index.nearest("remove todo 9", 1)[0].text == "remove todo 4"
    capped = index.nearest("remove todo 9", 3, per_label=1)
    assert capped[0].label == "todo_delete"
    assert sorted(e.label for e in capped) == ["calculator", "none", "todo_delete"]
    assert index.nearest("remove todo 4", 1, exclude_text=True)[0].text == "remove todo 4 now"
