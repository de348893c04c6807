"""The decomposed planner's example bank and the similarity search over it."""

from crane_bench.runtime.planners.examples.examples import (
    LABEL_FIELDS,
    LABELS,
    NEEDS_ID,
    NONE_EXAMPLES_PATH,
    Example,
    Label,
    bank_files,
    label_step,
    load_bank,
)
from crane_bench.runtime.planners.examples.similarity import SimilarityIndex, features

__all__ = [
    "LABELS",
    "LABEL_FIELDS",
    "NEEDS_ID",
    "NONE_EXAMPLES_PATH",
    "Example",
    "Label",
    "SimilarityIndex",
    "bank_files",
    "features",
    "label_step",
    "load_bank",
]
