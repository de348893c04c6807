"""Hypothesis strategies for calculator inputs, shared by the property tests and the fuzz bench.

`trees` draws expression trees (numbers from the whole range the length limit allows,
constants, operators, calls) and `render` writes one as text; `ARITHMETIC_ALPHABET`
makes random text that looks like arithmetic.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from hypothesis import strategies as st

Tree: TypeAlias = tuple[Any, ...]

BINARY = ["+", "-", "*", "/", "//", "%", "**"]
REFUSED_BINARY = ["^", "<<", "&", "<", "and"]
UNARY = ["-", "+"]

numbers = st.one_of(
    st.integers(min_value=0, max_value=12),
    st.integers(min_value=0, max_value=10**110),
    # The whole range the length limit allows: past 2**1024 an int has no float value.
    st.integers(min_value=0, max_value=10**499),
    st.floats(min_value=0, max_value=1e110, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.5, 1.5, 1e-3, 0.1]),
)
leaves = st.one_of(
    numbers.map(lambda n: ("num", n)),
    st.sampled_from(["pi", "e"]).map(lambda name: ("const", name)),
)


def extend(children: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
    """One level of expression tree over `children`."""
    return st.one_of(
        st.tuples(st.just("unary"), st.sampled_from(UNARY), children),
        st.tuples(st.just("bin"), st.sampled_from(BINARY), children, children),
        st.tuples(st.just("call"), st.sampled_from(["sqrt", "abs"]), st.tuples(children)),
        st.tuples(st.just("call"), st.just("round"), st.tuples(children)),
        st.tuples(
            st.just("call"),
            st.just("round"),
            st.tuples(children, st.integers(-5, 5).map(lambda n: ("num", n))),
        ),
        st.tuples(
            st.just("call"),
            st.sampled_from(["min", "max"]),
            st.lists(children, min_size=2, max_size=3).map(tuple),
        ),
    )


trees = st.recursive(leaves, extend, max_leaves=16)


def render(tree: Tree) -> str:
    """The expression text of `tree`, fully parenthesised."""
    match tree:
        case ("num", value):
            return repr(value)
        case ("const", name):
            return str(name)
        case ("unary", op, child):
            return f"({op}{render(child)})"
        case ("bin", op, left, right):
            return f"({render(left)} {op} {render(right)})"
        case ("call", name, args):
            return f"{name}({', '.join(render(arg) for arg in args)})"
    raise AssertionError(tree)


ARITHMETIC_ALPHABET = "0123456789+-*/%().,e ^_jxpisqrtabdmn'[]"
