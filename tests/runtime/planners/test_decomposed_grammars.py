"""The per-clause grammars: what they accept, checked by a small GBNF recognizer.

llama.cpp parses grammars only with a model loaded, so these tests read the grammars
with `recognizes` below: a backtracking matcher for the subset of GBNF that
`runtime.planners.grammars` writes (literals, classes, groups, `| ? * {m,n}`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import pytest

from crane_bench.runtime.planners.examples import LABELS, Example, load_bank
from crane_bench.runtime.planners.grammars import (
    allowed_labels,
    answer_grammar,
    clause_ids,
    format_answer,
    format_fields,
    gbnf_literal,
    named_numbers,
    parse_answer,
)
from crane_bench.runtime.tools.calculator.answer import clause_numbers

BANK = load_bank()

# --- a GBNF recognizer, for tests ----------------------------------------------------

_TOKEN = re.compile(
    r'\s*(?:(?P<lit>"(?:\\.|[^"\\])*")|(?P<cls>\[(?:\\.|[^\]\\])*\])|(?P<name>[a-z][a-z0-9-]*)'
    r"|(?P<rep>\{\d+,\d*\})|(?P<op>[()|?*+]))"
)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "]": "]", "-": "-"}


@dataclass(frozen=True)
class Node:
    kind: str  # lit, cls, ref, seq, alt, rep
    value: object = None
    parts: tuple[Node, ...] = ()
    low: int = 0
    high: int | None = None


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES[m.group(1)], text)


def _parse_alt(tokens: list[tuple[str, str]], pos: int) -> tuple[Node, int]:
    seqs: list[Node] = []
    items: list[Node] = []
    while pos < len(tokens) and tokens[pos] != ("op", ")"):
        kind, text = tokens[pos]
        if (kind, text) == ("op", "|"):
            seqs.append(Node("seq", parts=tuple(items)))
            items, pos = [], pos + 1
            continue
        if (kind, text) == ("op", "("):
            node, pos = _parse_alt(tokens, pos + 1)
            pos += 1  # the ")"
        elif kind == "lit":
            node, pos = Node("lit", _unescape(text[1:-1])), pos + 1
        elif kind == "cls":
            node, pos = Node("cls", text[1:-1]), pos + 1
        else:
            node, pos = Node("ref", text), pos + 1
        while pos < len(tokens) and (tokens[pos][0] == "rep" or tokens[pos][1] in "?*+"):
            op = tokens[pos][1]
            if op.startswith("{"):
                a, b = op[1:-1].split(",")
                low, high = int(a), (int(b) if b else None)
            else:
                low, high = {"?": (0, 1), "*": (0, None), "+": (1, None)}[op]
            node, pos = Node("rep", parts=(node,), low=low, high=high), pos + 1
        items.append(node)
    seqs.append(Node("seq", parts=tuple(items)))
    return Node("alt", parts=tuple(seqs)), pos


def parse_gbnf(grammar: str) -> dict[str, Node]:
    rules: dict[str, Node] = {}
    for line in grammar.strip().splitlines():
        name, _, body = line.partition("::=")
        tokens = []
        for match in _TOKEN.finditer(body):
            kind = match.lastgroup
            assert kind is not None
            tokens.append((kind, match.group(kind)))
        assert "".join(t for _, t in tokens).replace(" ", "") == body.replace(" ", ""), line
        rules[name.strip()], _ = _parse_alt(tokens, 0)
    return rules


def _class_matches(spec: str, char: str) -> bool:
    negate = spec.startswith("^")
    body = _unescape(spec[1:] if negate else spec)
    hit = (
        any(
            body[i] <= char <= body[i + 2] if i + 2 < len(body) and body[i + 1] == "-" else False
            for i in range(len(body))
        )
        or char in body
    )
    return hit != negate


def recognizes(grammar: str, text: str) -> bool:
    """True when `grammar` (from root) accepts exactly `text`."""
    rules = parse_gbnf(grammar)

    @cache
    def ends(node: Node, start: int) -> frozenset[int]:
        return frozenset(_ends(node, start))

    def _ends(node: Node, start: int) -> Iterator[int]:
        if node.kind == "lit":
            assert isinstance(node.value, str)
            if text.startswith(node.value, start):
                yield start + len(node.value)
        elif node.kind == "cls":
            assert isinstance(node.value, str)
            if start < len(text) and _class_matches(node.value, text[start]):
                yield start + 1
        elif node.kind == "ref":
            assert isinstance(node.value, str)
            yield from ends(rules[node.value], start)
        elif node.kind == "alt":
            for part in node.parts:
                yield from ends(part, start)
        elif node.kind == "seq":
            positions = {start}
            for part in node.parts:
                positions = {end for pos in positions for end in ends(part, pos)}
            yield from positions
        else:  # rep
            positions, count = {start}, 0
            if node.low == 0:
                yield start
            while positions and (node.high is None or count < node.high):
                positions = {e for p in positions for e in ends(node.parts[0], p) if e > p}
                count += 1
                if count >= node.low:
                    yield from positions

    return len(text) in ends(rules["root"], 0)


# --- tests ---------------------------------------------------------------------------


def test_the_recognizer_reads_what_it_should() -> None:
    grammar = 'root ::= "a" [0-9]{1,2} ("x" | "y")? rest\nrest ::= [^\\n]*\n'
    assert recognizes(grammar, "a1")
    assert recognizes(grammar, "a12y tail")
    assert not recognizes(grammar, "a")
    assert not recognizes(grammar, "a1\n")


@pytest.mark.parametrize("example", BANK, ids=lambda e: e.text[:40])
def test_every_bank_answer_is_one_the_grammar_allows(example: Example) -> None:
    answer = format_answer(example)
    assert recognizes(answer_grammar(example.text, copy_titles=True), answer)
    assert recognizes(answer_grammar(example.text, lead=" ", end="\n"), f" {answer}\n")
    parsed = parse_answer(answer)
    assert (parsed.label, parsed.expression, parsed.id) == (
        example.label,
        example.expression,
        example.id,
    )


def test_expressions_are_arithmetic_over_the_clause_numbers() -> None:
    grammar = answer_grammar("what is 1,250 plus twelve")
    assert recognizes(grammar, "yes\ncalculator\nExpression: 1250 + 12")
    assert recognizes(grammar, "yes\ncalculator\nExpression: (1250 + 12) * 100")
    assert recognizes(grammar, "yes\ncalculator\nExpression: sqrt(1250) × 2")
    assert not recognizes(grammar, "yes\ncalculator\nExpression: 1250 + 13")  # not named
    assert not recognizes(grammar, "yes\ncalculator\nExpression: __import__('os')")
    assert not recognizes(grammar, "yes\ncalculator\nExpression: x + 1")


def test_ids_come_from_the_clause() -> None:
    grammar = answer_grammar("mark the third task and number 12 done")
    assert recognizes(grammar, "yes\ntodo_complete\nId: 12")
    assert recognizes(grammar, "yes\ntodo_complete\nId: 3")
    assert not recognizes(grammar, "yes\ntodo_complete\nId: 4")
    assert clause_ids("delete task -1 or task two") == [-1, 2]


def test_labels_need_what_they_use() -> None:
    # The calculator's and the todo store's labels (other tools add their own).
    labels = [label for label in LABELS if label == "calculator" or label.startswith("todo_")]
    labels.append("none")
    assert allowed_labels([], False, labels) == ["todo_add", "todo_list", "none"]
    assert allowed_labels([3], True, labels) == labels
    grammar = answer_grammar("what's the capital of France")
    assert "calculator" not in grammar
    assert "todo_delete" not in grammar
    assert recognizes(grammar, "no")
    assert named_numbers("no numbers here") == []
    assert clause_numbers("no numbers here")[:3] == ["1", "2", "3"]


def test_titles_copy_a_run_of_words_and_may_drop_outer_quotes() -> None:
    grammar = answer_grammar("add 'water the plants.' to my list", copy_titles=True)
    for title in ("water the plants.", "water the plants", "'water the plants.'", "plants."):
        assert recognizes(grammar, f"yes\ntodo_add\nTitle: {title}"), title
    assert not recognizes(grammar, "yes\ntodo_add\nTitle: water plants")
    assert not recognizes(grammar, "yes\ntodo_add\nTitle: the plants to")  # "plants.'" inside
    free = answer_grammar("add 'water the plants.' to my list", copy_titles=False)
    assert recognizes(free, "yes\ntodo_add\nTitle: anything at all")


def test_answers_round_trip_and_junk_is_refused() -> None:
    text = format_fields("todo_update", id=5, title="call  grandma")
    assert text == "yes\ntodo_update\nId: 5\nTitle: call grandma"
    assert parse_answer(text).title == "call grandma"
    assert parse_answer(" no\n").label == "none"
    for junk in ("", "maybe", "yes\nfrobnicate", "yes\ntodo_get", "yes\ntodo_list\nId: 3"):
        with pytest.raises(ValueError, match="answer"):
            parse_answer(junk)


def test_literals_escape_what_gbnf_needs() -> None:
    assert gbnf_literal('say "hi"\\\n') == '"say \\"hi\\"\\\\\\n"'
    grammar = answer_grammar('add "quoted \\ text" please', copy_titles=True)
    assert recognizes(grammar, "yes\ntodo_add\nTitle: quoted \\ text")
