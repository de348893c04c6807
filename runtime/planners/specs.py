"""Planner specs: `[LABEL=]NAME[[key=value,...]]`, so one run can compare any planners.

Grammar (a comma-separated list; commas inside brackets belong to the spec)::

    pattern                                  the rules
    hybrid[strategy=llm-first]               a built-in planner with parameters
    llm[model=gemma3-270m,mode=decomposed]   a local model from the catalog (or a .gguf path)
    llm[base_url=http://127.0.0.1:8081/v1,model=smollm2-135m]   an endpoint by URL
    fast=llm[model=smollm2-135m]             a label of one's own
    mine=my_package.planners:build           a planner object, class or factory by import path
    mine=my-registered-name                  one registered under `crane_bench.planners`

Without `LABEL=` the label is the spec exactly as written; every result keys on it.
Parameters are validated by one pydantic model per planner kind. API keys never come
from a spec (only from the environment or `.env`): a value that looks like one is refused.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from crane_bench.plumbing.validation import first_problem
from crane_bench.runtime.errors import ConfigError
from crane_bench.runtime.planners.user import check_user_target, registered_planner
from crane_bench.runtime.settings import (
    DEFAULT_BASE_URL,
    HybridStrategy,
    LLMPlannerMode,
    Settings,
)

PlannerKind = Literal["pattern", "llm", "hybrid", "user"]
BUILTIN: Final[tuple[str, ...]] = ("pattern", "llm", "hybrid")
_LABEL = re.compile(r"^[A-Za-z0-9_.-]+$")
_SPEC = re.compile(r"^(?P<name>[^\[\]=]+?)(?:\[(?P<params>.*)\])?$")
_TARGET = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_SECRET_NAME = re.compile(r"api[_-]?key|token|secret|password", re.IGNORECASE)
_SECRET_VALUE = re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{8,}|://[^/\s]*@")
"""An OpenAI-style key, or user info in a URL."""


# The models here say what a field is with `Field(description=...)`, not a docstring
# under it: pydantic reads field docstrings from the module's source, and finding that
# source walks every loaded module (tens of ms at a CLI's start; every `plan` parses a spec).
class PatternParams(BaseModel):
    """The pattern planner takes no parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LLMParams(BaseModel):
    """Which model, where, and how the llm planner uses it; unset: from the settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str | None = Field(
        None,
        min_length=1,
        description="A local catalog name or .gguf path (local), or the model name sent to "
        "`base_url`.",
    )
    mode: LLMPlannerMode | None = Field(
        None, description="oneshot, decomposed or auto (LLM_PLANNER_MODE)."
    )
    base_url: str | None = Field(
        None,
        pattern=r"^https?://[^\s@?#]+$",
        description="An OpenAI-compatible /v1 URL; no user info or query (keys come from the env).",
    )


class HybridParams(LLMParams):
    """The llm planner's parameters, and how the hybrid combines it with the rules."""

    strategy: HybridStrategy | None = Field(
        None, description="clause-merge, pattern-first or llm-first (HYBRID_STRATEGY)."
    )


_PARAMS: Final[dict[str, type[BaseModel]]] = {
    "pattern": PatternParams,
    "llm": LLMParams,
    "hybrid": HybridParams,
}


class PlannerSpec(BaseModel):
    """One parsed planner spec."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(
        description="The spec as written, label included (parsing it again gives this spec)."
    )
    label: str = Field(description="What every result keys on: `LABEL=`, else the spec as written.")
    kind: PlannerKind
    params: HybridParams | LLMParams | PatternParams = PatternParams()
    target: str | None = Field(None, description="`module:attr` of a user planner (kind `user`).")

    @field_validator("label")
    @classmethod
    def _label_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("empty label")
        return value

    @property
    def needs_llm(self) -> bool:
        """True for the built-in planners that call a model."""
        return self.kind in {"llm", "hybrid"}

    @property
    def builtin_name(self) -> Literal["pattern", "llm", "hybrid"]:
        """The built-in planner's name (`pattern` for a user planner, never used)."""
        return "pattern" if self.kind == "user" else self.kind

    def settings_for(self, settings: Settings) -> Settings:
        """`settings` with this spec's parameters in place of the process-wide ones.

        A `base_url` makes the endpoint hosted; the API key goes with it only when it is
        the URL the key was configured for (`OPENAI_BASE_URL`, or OpenAI's own).
        """
        params = self.params
        update: dict[str, object] = {}
        if isinstance(params, HybridParams) and params.strategy is not None:
            update["hybrid_strategy"] = params.strategy
        if isinstance(params, LLMParams):
            if params.mode is not None:
                update["llm_planner_mode"] = params.mode
            if params.base_url is not None:
                configured = settings.openai_base_url or DEFAULT_BASE_URL
                same = params.base_url.rstrip("/") == configured.rstrip("/")
                update["openai_base_url"] = params.base_url
                update["openai_api_key"] = settings.openai_api_key if same else None
            if params.model is not None:
                hosted = params.base_url is not None or not settings.uses_local_model()
                update["llm_model" if hosted else "local_model"] = params.model
        return settings.model_copy(update=update)


def split_specs(text: str) -> list[str]:
    """Split at the commas outside brackets.

    Raises:
        ConfigError: Unbalanced brackets.
    """
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"[": 1, "]": -1}.get(char, 0)
        if depth < 0 or depth > 1:
            raise ConfigError(f"--planners: unbalanced brackets in {text!r}")
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if depth:
        raise ConfigError(f"--planners: unbalanced brackets in {text!r}")
    parts.append(current.strip())
    return parts


def _split_label(spec: str) -> tuple[str, str]:
    """(label, rest): `LABEL=` when an `=` comes before any `[`, else the spec itself."""
    head, sep, rest = spec.partition("=")
    if not sep or "[" in head:
        return spec, spec
    if not _LABEL.match(head):
        raise ConfigError(f"--planners: {spec!r}: a label is letters, digits and _.- only")
    return head, rest


def _params(spec: str, body: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in body.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--planners: {spec!r}: {item!r} is not key=value")
        if _SECRET_NAME.search(key) or _SECRET_VALUE.search(value):
            shown = "a parameter" if _SECRET_NAME.search(key) else key.strip()
            raise ConfigError(  # the spec is not echoed: it may hold the secret
                f"--planners: {shown} of a {spec.partition('[')[0]!r} spec looks like a "
                "credential; API keys come only from the environment or .env (OPENAI_API_KEY)"
            )
        values[key.strip()] = value.strip()
    return values


def _problem(spec: str, exc: ValidationError) -> str:
    unknown = [e for e in exc.errors() if e["type"] == "extra_forbidden"]
    if unknown:
        where = ".".join(str(part) for part in unknown[0]["loc"])
        return f"--planners: {spec!r}: unknown parameter {where!r}"
    return f"--planners: {spec!r}: {first_problem(exc)}"


def parse_spec(text: str) -> PlannerSpec:
    """Parse one spec.

    Raises:
        ConfigError: An unknown planner or parameter, a bad value, or a user planner
            that cannot be imported or is not a planner; one line.
    """
    spec = text.strip()
    label, body = _split_label(spec)
    match = _SPEC.match(body)
    if not spec or match is None:
        raise ConfigError(f"--planners: {spec!r} is not [LABEL=]NAME[[key=value,...]]")
    name, raw = match.group("name").strip(), match.group("params")
    if name in _PARAMS:
        try:
            params = _PARAMS[name].model_validate(_params(spec, raw or ""))
        except ValidationError as exc:
            raise ConfigError(_problem(spec, exc)) from None
        return PlannerSpec.model_validate(
            {"text": spec, "label": label, "kind": name, "params": params}
        )
    if raw is not None:
        raise ConfigError(f"--planners: {spec!r}: a user planner takes no [parameters]")
    target = name if _TARGET.match(name) else registered_planner(name)
    if target is None:
        known = ", ".join(BUILTIN)
        raise ConfigError(
            f"--planners: unknown planner {name!r}; known: {known}, a module.path:attr, "
            "or a name registered under the crane_bench.planners entry point"
        )
    check_user_target(target, spec)
    return PlannerSpec(text=spec, label=label, kind="user", target=target)


def parse_specs(text: str) -> tuple[PlannerSpec, ...]:
    """Parse a comma-separated list of specs, in order.

    Raises:
        ConfigError: A bad spec (see `parse_spec`), an empty list, or a label used twice.
    """
    specs: list[PlannerSpec] = []
    for part in split_specs(text):
        if not part:
            raise ConfigError(f"--planners: an empty planner spec in {text!r}")
        spec = parse_spec(part)
        if any(seen.label == spec.label for seen in specs):
            raise ConfigError(f"--planners: the label {spec.label!r} is used twice")
        specs.append(spec)
    return tuple(specs)
