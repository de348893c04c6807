"""Planner specs: the grammar, the parameters, labels, refused keys, and user planners."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from crane_bench.runtime.errors import ConfigError
from crane_bench.runtime.planners.pattern import PatternPlanner
from crane_bench.runtime.planners.specs import (
    HybridParams,
    LLMParams,
    parse_spec,
    parse_specs,
    split_specs,
)
from crane_bench.runtime.planners.user import load_user_planner
from crane_bench.runtime.settings import Settings
from tests.runtime.planners.user_planners import NothingPlanner

USER = "tests.runtime.planners.user_planners"


def test_commas_inside_brackets_belong_to_the_spec() -> None:
    text = "pattern,llm[base_url=http://127.0.0.1:8081/v1,model=smollm2-135m],hybrid"
    assert split_specs(text) == [
        "pattern",
        "llm[base_url=http://127.0.0.1:8081/v1,model=smollm2-135m]",
        "hybrid",
    ]


def test_the_label_is_the_spec_as_written_unless_given() -> None:
    specs = parse_specs("pattern,hybrid[strategy=llm-first],fast=llm[model=smollm2-135m]")
    assert [s.label for s in specs] == ["pattern", "hybrid[strategy=llm-first]", "fast"]
    assert [s.kind for s in specs] == ["pattern", "hybrid", "llm"]
    assert specs[1].params == HybridParams(strategy="llm-first")
    assert specs[2].params == LLMParams(model="smollm2-135m")
    assert parse_spec(specs[2].text) == specs[2]


def test_a_base_url_with_an_equals_sign_in_brackets_is_no_label() -> None:
    spec = parse_spec("llm[base_url=http://127.0.0.1:8081/v1,model=m]")
    assert spec.label == spec.text
    assert spec.params == LLMParams(base_url="http://127.0.0.1:8081/v1", model="m")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gpt", "unknown planner 'gpt'"),
        ("llm[modle=x]", "unknown parameter 'modle'"),
        ("hybrid[strategy=fastest]", "strategy: Input should be"),
        ("pattern[model=x]", "unknown parameter 'model'"),
        ("llm[mode]", "is not key=value"),
        ("llm[base_url=http://u:p@host/v1]", "looks like a credential"),
        ("llm[model=sk-abcdefghijklmnop]", "looks like a credential"),
        ("llm[api_key=abc]", "looks like a credential"),
        ("llm[foo,api_key=sk-abcdefghijklmnop]", "looks like a credential"),
        ("llm[api_key=sk-abcdefghijklmnop", "looks like a credential"),
        ("llm[model=x,token=abcdefghijklmnop", "looks like a credential"),
        ("llm[model=sk-abcdefghijklmnop]]", "looks like a credential"),
        ("x=sk-abcdefghijklmnop", "looks like a credential"),
        ("pattern,sk-abcdefghijklmnop", "looks like a credential"),
        ("pattern,llm[api_key=x],pattern", "looks like a credential"),
        ("llm[model=x", "unbalanced brackets"),
        ("pattern,,llm", "empty planner spec"),
        ("pattern,pattern", "label 'pattern' is used twice"),
        ("a b=pattern", "a label is letters"),
        ("no_such_module_xyz:build", "cannot import 'no_such_module_xyz'"),
        (f"{USER}:missing", "has no attribute 'missing'"),
        (f"{USER}:NOT_A_PLANNER", "is not a planner"),
        (f"{USER}:build[x=1]", "takes no [parameters]"),
    ],
)
def test_a_bad_spec_is_one_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_specs(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith("--planners: ")
    assert "abcdefghijklmnop" not in str(caught.value)
    assert "u:p@" not in str(caught.value)


@pytest.mark.parametrize("model", ["task-abcdefghijkl", "my-token-model"])
def test_a_model_name_that_merely_contains_key_words_is_no_key(model: str) -> None:
    assert parse_spec(f"llm[model={model}]").params == LLMParams(model=model)


@pytest.mark.parametrize(
    ("attr", "kind"), [("INSTANCE", NothingPlanner), ("build", NothingPlanner)]
)
def test_a_user_planner_is_an_object_or_a_factory(attr: str, kind: type) -> None:
    spec = parse_spec(f"mine={USER}:{attr}")
    assert (spec.label, spec.kind, spec.target) == ("mine", "user", f"{USER}:{attr}")
    assert isinstance(load_user_planner(f"{USER}:{attr}", spec.text), kind)


def test_the_pattern_planner_class_loads_by_import_path() -> None:
    target = "crane_bench.runtime.planners.pattern:PatternPlanner"
    spec = parse_spec(target)
    assert spec.label == target
    assert isinstance(load_user_planner(target, spec.text), PatternPlanner)


def test_a_factory_that_returns_no_planner_is_refused_when_built() -> None:
    spec = parse_spec(f"{USER}:build_wrong")
    with pytest.raises(ConfigError, match="is not a planner"):
        load_user_planner(f"{USER}:build_wrong", spec.text)


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_parameters_override_the_settings_for_their_planner_only() -> None:
    base = _settings(hybrid_strategy="clause-merge")
    own = parse_spec("hybrid[strategy=pattern-first,mode=oneshot,model=gemma3-270m]")
    settings = own.settings_for(base)
    assert (settings.hybrid_strategy, settings.llm_planner_mode) == ("pattern-first", "oneshot")
    assert settings.local_model == "gemma3-270m"  # no endpoint configured: a local model
    assert base.hybrid_strategy == "clause-merge"


def test_a_hosted_model_name_goes_to_the_configured_endpoint() -> None:
    base = _settings(openai_base_url="http://127.0.0.1:9/v1", openai_api_key="k")
    settings = parse_spec("llm[model=big]").settings_for(base)
    assert (settings.llm_model, settings.openai_base_url) == ("big", "http://127.0.0.1:9/v1")
    assert settings.openai_api_key == SecretStr("k")


def test_the_key_goes_only_to_the_url_it_was_configured_for() -> None:
    base = _settings(openai_base_url="http://127.0.0.1:9/v1", openai_api_key="k")
    same = parse_spec("llm[base_url=http://127.0.0.1:9/v1/]").settings_for(base)
    other = parse_spec("llm[base_url=http://127.0.0.1:8081/v1]").settings_for(base)
    assert same.openai_api_key == SecretStr("k")
    assert other.openai_api_key is None
    assert other.openai_base_url == "http://127.0.0.1:8081/v1"
    assert not other.uses_local_model()


def test_a_name_registered_as_an_entry_point_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real (if tiny) installed distribution on the path, as pip would leave one.
    info = tmp_path / "demo_planners-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-planners\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[crane_bench.planners]\nnothing = {USER}:build\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = parse_spec("nothing")
    assert (spec.label, spec.kind, spec.target) == ("nothing", "user", f"{USER}:build")
    assert isinstance(load_user_planner(f"{USER}:build", spec.text), NothingPlanner)
