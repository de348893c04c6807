"""A key is masked wherever text may hold it: whole, shaped like a key, or in fragments."""

from __future__ import annotations

import pytest

from crane_bench.runtime.masking import mask

KEY = "sk-test-SECRET123abcdef"


@pytest.mark.parametrize(
    "text",
    [
        f"Bearer {KEY}",
        "Bearer test-SECRET123abcdef",  # without its sk- prefix
        "the key ends SECRET123abcdef.",
        "it starts sk-test-SECRET1",
        '{"title": "xSECRET123abcdefx"}',
    ],
)
def test_the_key_and_its_fragments_are_masked(text: str) -> None:
    masked = mask(text, [KEY])

    assert "***" in masked
    assert "SECRET12" not in masked
    assert "ECRET123" not in masked


def test_text_without_the_key_is_left_as_it_is() -> None:
    text = '{"steps": [{"tool": "calculator", "input": {"expression": "123 * 4"}}]} secretary'
    assert mask(text, [KEY]) == text


def test_a_short_secret_is_masked_whole_only() -> None:
    assert mask("local key here, and keychain", ["key1", "local"]) == "*** key here, and keychain"


def test_anything_shaped_like_a_key_is_masked_without_being_told() -> None:
    assert mask("used sk-proj-abcdef123456 today", []) == "used sk-*** today"
