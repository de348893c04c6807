"""The decomposed planner's example bank and the similarity search over it."""

from crane_bench.runtime.planners.examples.examples import (
    DEFAULT_BANK_PATH,
    LABEL_FIELDS,
    LABELS,
    NEEDS_ID,
    Example,
    Label,
    label_step,
    load_bank,
)
from crane_bench.runtime.planners.examples.similarity import SimilarityIndex, features

__all__ = [
    "DEFAULT_BANK_PATH",
    "LABELS",
    "LABEL_FIELDS",
    "NEEDS_ID",
    "Example",
    "Label",
    "SimilarityIndex",
    "features",
    "label_step",
    "load_bank",
]
