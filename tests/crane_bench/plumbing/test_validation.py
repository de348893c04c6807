"""`first_problem`: one line for a ValidationError, the same for every reader."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from crane_bench.plumbing.validation import first_problem


class Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int


class Outer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    inner: Inner

    @model_validator(mode="after")
    def _named(self) -> Outer:
        if self.name == "bad":
            raise ValueError("the name must not be bad")
        return self


def problem(data: object, **options: object) -> str:
    with pytest.raises(ValidationError) as caught:
        Outer.model_validate(data)
    return first_problem(caught.value, **options)  # type: ignore[arg-type]


def test_where_and_what_never_the_value() -> None:
    text = problem({"name": "x", "inner": {"count": "sk-secret-value"}})
    assert (
        text == "inner.count: Input should be a valid integer, unable to parse string as an integer"
    )
    assert "sk-secret" not in text


def test_an_unknown_key_comes_before_the_missing_field_it_misspells() -> None:
    assert problem({"name": "x", "inner": {"cuont": 1}}) == (
        "inner.cuont: Extra inputs are not permitted"
    )


def test_the_whole_object_others_and_an_outer_location() -> None:
    data = {"name": "bad", "inner": {"count": 1}}
    assert problem(data) == "(top level): the name must not be bad"  # no "Value error, "
    assert problem(data, top="row") == "row: the name must not be bad"
    assert problem(data, top=None) == "the name must not be bad"
    assert problem({}, count_others=True) == "name: Field required (and 1 more)"
    assert problem({"inner": {"count": 1}}, within=("planners", "x")) == (
        "planners.x.name: Field required"
    )
