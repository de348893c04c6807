"""Masking secrets in text that may be recorded or shown: whole, by shape, and in part.

One helper for every place a key could slip out: the model's answers where the
planners read them (`planners.model_answers`), error details (`planners.model_errors`),
transcripts (`transcript.Recorder`, `evals.transcript_store`). A server that echoes the
`Authorization` header may send the key back whole, without its `sk-` prefix, or cut;
so besides the whole secret, any run of key characters that shares `FRAGMENT_CHARS`
consecutive characters with a long secret is masked, and so is anything shaped like an
OpenAI key (`sk-...`), told or not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

MASK: Final = "***"
FRAGMENT_CHARS: Final = 8
"""A run of this many characters of a secret gives it away; shorter ones are noise."""
_FRAGMENTED_FROM: Final = 2 * FRAGMENT_CHARS
"""Secrets at least this long are masked in fragments too (a real key is 40 or more)."""
_KEY_PATTERN: Final = re.compile(r"\bsk-[A-Za-z0-9_\-*]{4,}")
_KEY_RUN: Final = re.compile(rf"[A-Za-z0-9_\-]{{{FRAGMENT_CHARS},}}")
"""Runs of the characters keys are made of, long enough to hold a fragment."""


def mask(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with each secret, its fragments, and anything shaped like a key, masked.

    Args:
        text: What may be written or shown.
        secrets: The secrets to hide (empty or None ones, and ones under 4 characters,
            are skipped: masking them would garble ordinary text).
    """
    grams: set[str] = set()
    for secret in secrets:
        if not secret or len(secret) < 4:
            continue
        text = text.replace(secret, MASK)
        if len(secret) >= _FRAGMENTED_FROM:
            grams.update(_grams(secret))
    if grams:
        text = _KEY_RUN.sub(lambda run: MASK if _shares(run.group(), grams) else run.group(), text)
    return _KEY_PATTERN.sub(f"sk-{MASK}", text) if "sk-" in text else text


def _grams(secret: str) -> set[str]:
    return {secret[i : i + FRAGMENT_CHARS] for i in range(len(secret) - FRAGMENT_CHARS + 1)}


def _shares(run: str, grams: set[str]) -> bool:
    return any(run[i : i + FRAGMENT_CHARS] in grams for i in range(len(run) - FRAGMENT_CHARS + 1))
