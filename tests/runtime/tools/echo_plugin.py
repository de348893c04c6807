"""A third-party tool plug-in for the tests: `echo` repeats a title back."""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, ConfigDict, JsonValue

from crane_bench.runtime.tools import LabelSpec, RuleReader, ToolDeclaration
from crane_bench.runtime.tools.plugin import AnswerField, FieldContext, PlanExample


class EchoInput(BaseModel):
    """Input of the `echo` tool."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str


class EchoTool:
    """Returns its input's title."""

    name = "echo"
    description = "Repeat a text back."
    input_model = EchoInput

    async def run(self, tool_input: EchoInput) -> JsonValue:
        """The title, unchanged."""
        return tool_input.title


def _asks_for_echo(text: str) -> bool:
    return text.lower().startswith("echo ")


def _read_echo(clause: str) -> list[dict[str, JsonValue]] | None:
    return [{"title": clause[5:].strip()}] if _asks_for_echo(clause) else None


ECHO_PLUGIN: Final = ToolDeclaration(
    name="echo",
    category="echo",
    input_model=EchoInput,
    factory=EchoTool,
    labels=(LabelSpec("echo", "repeat a text back", ("title",)),),
    signal_fn=_asks_for_echo,
    signal_name="echo",
    rules=(RuleReader(5, "echo X", _read_echo),),
)


class ShoutInput(BaseModel):
    """Input of the `shout` tool."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    loud: str


class ShoutTool:
    """Returns its input upper-cased."""

    name = "shout"
    description = "Say a word loudly."
    input_model = ShoutInput

    async def run(self, tool_input: ShoutInput) -> JsonValue:
        """The word, upper-cased."""
        return tool_input.loud.upper()


def _asks_for_shout(text: str) -> bool:
    return "shout" in text.lower()


def _loud_rules(context: FieldContext) -> list[str]:
    words = [w for w in context.clause.split() if w.isalpha()] or ["HEY"]
    return ["shout-loud ::= " + " | ".join(f'"{w.upper()}"' for w in words)]


LOUD_FIELD: Final = AnswerField(
    name="loud", prefix="Loud: ", symbol="shout-loud", rules=_loud_rules
)

SHOUT_PLUGIN: Final = ToolDeclaration(
    name="shout",
    category="shout",
    input_model=ShoutInput,
    factory=ShoutTool,
    labels=(LabelSpec("shout", "say a word loudly", ("loud",)),),
    answer_fields=(LOUD_FIELD,),
    offered="when_cued",
    plan_examples=(PlanExample("shout hello", ({"tool": "shout", "input": {"loud": "HELLO"}},)),),
    signal_fn=_asks_for_shout,
    signal_name="shout",
)
"""A tool with an answer field of its own, shown to the model only when its cue matches."""

NOT_A_PLUGIN: Final = object()
