"""Perturbation suites: metamorphic variants of cases that must keep the same plan.

`with_variants(cases, names, seed)` adds, for every case, one variant per named
perturbation that applies to it. The perturbations are registered by name
(`evals.perturbations.registry`): surface ones (`casing`, `punctuation`, `whitespace`,
`polite`, `filler`), word ones (`typos`, `synonyms`), `number_format` and
`clause_order`. Importing this package registers them all.
"""

from crane_bench.evals.perturbations import numbers, order, surface, words
from crane_bench.evals.perturbations.registry import (
    ALL,
    PERTURBATIONS,
    Perturbation,
    PerturbContext,
    parse_perturb_option,
    perturbation,
    resolve_names,
)
from crane_bench.evals.perturbations.variants import (
    DEFAULT_SEED,
    VariantCase,
    derive_variant,
    protected_words,
    seeded_rng,
    with_variants,
)

__all__ = [
    "ALL",
    "DEFAULT_SEED",
    "PERTURBATIONS",
    "PerturbContext",
    "Perturbation",
    "VariantCase",
    "derive_variant",
    "numbers",
    "order",
    "parse_perturb_option",
    "perturbation",
    "protected_words",
    "resolve_names",
    "seeded_rng",
    "surface",
    "with_variants",
    "words",
]
