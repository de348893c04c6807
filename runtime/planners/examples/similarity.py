"""Pick the bank examples most like a clause: TF-IDF over character n-grams, cosine.

Pure Python and built once per planner: the bank has a few hundred short clauses, so a
query costs well under a millisecond. Texts are lower-cased and every digit becomes `0`
before n-grams are taken, so "delete task 3" and "delete task 17" look alike: the shape
of a request matters to the label, not its numbers. Word n-grams of length 3 to 5 (padded
with spaces) are used alongside whole words, which keeps typos ("delet task") close to
their intended word while whole words still separate "add" from "and".
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Sequence
from typing import Final

from crane_bench.runtime.planners.examples.examples import Example, Label

_DIGIT: Final = re.compile(r"\d")
_SPACE: Final = re.compile(r"\s+")
_WORD: Final = re.compile(r"[a-z']+|[^\sa-z0-9']")
_NGRAM_SIZES: Final = (3, 4, 5)

Vector = dict[str, float]


def features(text: str) -> Counter[str]:
    """The n-gram and word counts of `text`, after lower-casing and masking digits."""
    norm = _SPACE.sub(" ", _DIGIT.sub("0", text.lower())).strip()
    padded = f" {norm} "
    counts: Counter[str] = Counter()
    for size in _NGRAM_SIZES:
        counts.update(padded[i : i + size] for i in range(len(padded) - size + 1))
    counts.update(f"w:{word}" for word in _WORD.findall(norm))
    return counts


def _normalized(weights: Vector) -> Vector:
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {key: w / norm for key, w in weights.items()} if norm else weights


class SimilarityIndex:
    """Finds the examples nearest to a text by TF-IDF cosine similarity.

    Args:
        examples: The bank; order is kept to break ties.
    """

    def __init__(self, examples: Sequence[Example]) -> None:
        self.examples = tuple(examples)
        counted = [features(example.text) for example in self.examples]
        document_frequency: Counter[str] = Counter()
        for counts in counted:
            document_frequency.update(counts.keys())
        total = len(counted)
        # Smoothed idf, as scikit-learn's default: a feature in every document still counts.
        self._idf = {
            key: math.log((1 + total) / (1 + df)) + 1 for key, df in document_frequency.items()
        }
        self._unseen_idf = math.log(1 + total) + 1
        self._vectors = [self._vector(counts) for counts in counted]

    def _vector(self, counts: Counter[str]) -> Vector:
        return _normalized(
            {
                key: (1 + math.log(count)) * self._idf.get(key, self._unseen_idf)
                for key, count in counts.items()
            }
        )

    def scores(self, text: str) -> list[float]:
        """Cosine similarity of `text` to every example, in bank order."""
        query = self._vector(features(text))
        return [
            sum(weight * vector.get(key, 0.0) for key, weight in query.items())
            for vector in self._vectors
        ]

    def nearest(
        self,
        text: str,
        k: int,
        *,
        per_label: int | None = None,
        labels: Collection[Label] | None = None,
        exclude_text: bool = False,
    ) -> list[Example]:
        """The `k` examples most similar to `text`, most similar first.

        Args:
            text: The clause to match.
            k: How many examples at most.
            per_label: At most this many examples of one label, so that one pattern
                does not crowd out the alternatives the model should weigh.
            labels: Only examples with one of these labels (None: any).
            exclude_text: Skip examples whose text equals `text` (case-insensitive);
                used when the bank is scored against itself.
        """
        ranked = sorted(
            zip(self.scores(text), range(len(self.examples)), strict=True),
            key=lambda pair: (-pair[0], pair[1]),
        )
        chosen: list[Example] = []
        taken: Counter[Label] = Counter()
        folded = text.strip().lower()
        for _, index in ranked:
            example = self.examples[index]
            if exclude_text and example.text.strip().lower() == folded:
                continue
            if labels is not None and example.label not in labels:
                continue
            if per_label is not None and taken[example.label] >= per_label:
                continue
            chosen.append(example)
            taken[example.label] += 1
            if len(chosen) == k:
                break
        return chosen
