"""Surface perturbations: casing, punctuation, whitespace, and polite or filler wrappers.

None of them touches a word: they change how a prompt is typed, never what it asks.
"""

from __future__ import annotations

import re
from typing import Final

from crane_bench.evals.perturbations.registry import PerturbContext, perturbation

_END_PUNCTUATION: Final = ".!?"
_QUESTION_OPENERS: Final = re.compile(
    r"^(?:what|what's|whats|how|who|which|when|where|why|is|are|can|could|would|do|does)\b",
    re.IGNORECASE,
)
_POLITE_REQUESTS: Final = (
    "please {}",
    "{}, please",
    "could you help me with this: {}",
    "{} please, thank you",
)
_POLITE_QUESTIONS: Final = ("{}, please?", "quick question: {}", "sorry to bother you, {}")
_FILLERS: Final = ("hey, {}", "ok so {}", "{}, thanks!", "hi! {}", "um, {}", "{}, cheers")


def _lower_first(text: str) -> str:
    """`text` with its first letter lowered, unless the first word is all capitals."""
    first = text.split(maxsplit=1)[0] if text.split() else ""
    if len(first) > 1 and first.isupper():
        return text
    return text[:1].lower() + text[1:]


def _bare(prompt: str) -> str:
    """The prompt without surrounding spaces and a final full stop or exclamation mark."""
    return prompt.strip().rstrip(".!").rstrip()


@perturbation("casing")
def casing(prompt: str, context: PerturbContext) -> str | None:
    """All upper case, all lower case, or the first letter capitalised (chosen by rng)."""
    forms = (prompt.upper(), prompt.lower(), prompt[:1].upper() + prompt[1:])
    choices = [form for form in forms if form != prompt]
    return context.rng.choice(choices) if choices else None


@perturbation("punctuation")
def punctuation(prompt: str, context: PerturbContext) -> str | None:
    """Drop the final punctuation mark, or add one where there is none."""
    text = prompt.rstrip()
    if text and text[-1] in _END_PUNCTUATION:
        stripped = text.rstrip(_END_PUNCTUATION).rstrip()
        return stripped or None
    ending = "?" if _QUESTION_OPENERS.match(text) else context.rng.choice(("!", ".", "!!"))
    return text + ending


@perturbation("whitespace")
def whitespace(prompt: str, context: PerturbContext) -> str | None:
    """Double a few of the spaces between words and pad both ends."""
    words = prompt.split(" ")
    if len(words) < 2:
        return f"  {prompt} "
    gaps = [context.rng.choice((" ", "  ", "   ")) for _ in words[1:]]
    gaps[context.rng.randrange(len(gaps))] = "  "  # at least one gap widened
    body = words[0] + "".join(gap + word for gap, word in zip(gaps, words[1:], strict=True))
    return f" {body}  "


@perturbation("polite")
def polite(prompt: str, context: PerturbContext) -> str | None:
    """Wrap the request in a polite form that fits it ("could you please ...")."""
    text = _bare(prompt)
    if not text:
        return None
    if _QUESTION_OPENERS.match(text):
        template = context.rng.choice(_POLITE_QUESTIONS)
        text = text.rstrip("?").rstrip()
    else:
        template = context.rng.choice(_POLITE_REQUESTS)
    return template.format(text if template.startswith("{") else _lower_first(text))


@perturbation("filler")
def filler(prompt: str, context: PerturbContext) -> str | None:
    """Add a greeting or filler before or after the request ("hey, ...", "..., thanks!")."""
    text = _bare(prompt)
    if not text:
        return None
    template = context.rng.choice(_FILLERS)
    return template.format(text if template.startswith("{") else _lower_first(text))
