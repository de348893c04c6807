"""A third-party tool plug-in for the tests: `echo` repeats a title back."""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, ConfigDict, JsonValue

from crane_bench.runtime.tools import LabelSpec, RuleReader, ToolDeclaration


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

NOT_A_PLUGIN: Final = object()
