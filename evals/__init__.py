"""Gold cases and the evaluation of planners against them.

The case format and its loader live in `evals.cases`, the matching rules in
`evals.matching`, scoring of one trial in `evals.scoring`, the runner in `evals.runner`,
statistics in `evals.stats`, `evals.metrics` and `evals.comparison` (the metrics
themselves declared once in `evals.metric_registry`), perturbed variants
of cases in `evals.perturbations` and their figures in `evals.robustness`, the
hand-written robustness sets in `evals.robustness_sets` (their figures in
`evals.robustness_set_figures`, before against after in `evals.robustness_compare`), quality gates
in `evals.gates`, what a suite can detect in `evals.power` (and `evals.gate_power`), the
anytime-valid tests of `--stop-when-decided` in `evals.confseq`, `evals.confseq_finite`,
`evals.sequential_checks`, `evals.sequential` and `evals.sequential_run`, and the
package's errors in `evals.errors`. A run directory is read
by `evals.run_reader.read_run`, the one reader of a run (`EvalRun`). Planner specs and their
endpoints are the runtime's (`runtime.planners.specs`, `runtime.planners.endpoints`).
"""

from crane_bench.evals.cases import (
    KNOWN_CATEGORIES,
    Case,
    CaseSetup,
    ExpectedPlan,
    ExpectedStep,
    case_files,
    case_json_schema,
    count_by_category,
    load_case_file,
    load_cases,
)
from crane_bench.evals.comparison import Comparison, ComparisonPower, compare_all, compare_planners
from crane_bench.evals.errors import (
    CaseFormatError,
    EvalError,
    GateConfigError,
    RobustnessSetError,
    RunLogError,
)
from crane_bench.evals.figures import Figure, LatencyFigure, RateFigure, ScalarFigure
from crane_bench.evals.gate_config import GatesConfig, load_gates
from crane_bench.evals.gate_power import GatePower
from crane_bench.evals.gates import Baseline, GateCheck, GateReport, evaluate_gates, load_baseline
from crane_bench.evals.llm_cache import CachingTransport
from crane_bench.evals.matching import (
    PlanComparison,
    compare_plan,
    first_choice,
    match_expression,
    match_outcome,
    match_step_input,
    match_value,
)
from crane_bench.evals.metric_registry import DEFAULT_METRICS, Metric, MetricRegistry, metric
from crane_bench.evals.metrics import (
    CategoryMetrics,
    PlannerMetrics,
    compute_metrics,
    read_summary_metrics,
    trials_frame,
)
from crane_bench.evals.power import mcnemar_cases_needed, mcnemar_mde, mcnemar_power
from crane_bench.evals.results import OutcomeClass, TrialResult
from crane_bench.evals.robustness import RobustnessMetrics, robustness_metrics
from crane_bench.evals.run_config import EvalConfig
from crane_bench.evals.run_dir import EvalSummary, RunDir
from crane_bench.evals.run_reader import EvalRun, Rows, read_results, read_run
from crane_bench.evals.runner import run_eval
from crane_bench.evals.scoring import score_trial
from crane_bench.evals.sequential import SequentialGate
from crane_bench.evals.sequential_run import SequentialReport
from crane_bench.evals.stats import (
    mcnemar_exact,
    pass_at_k,
    pass_hat_k,
    percentiles,
    wilson_interval,
)

__all__ = [
    "KNOWN_CATEGORIES",
    "CachingTransport",
    "Case",
    "CaseFormatError",
    "CaseSetup",
    "EvalConfig",
    "EvalError",
    "EvalRun",
    "EvalSummary",
    "ExpectedPlan",
    "ExpectedStep",
    "GateConfigError",
    "OutcomeClass",
    "PlanComparison",
    "RobustnessSetError",
    "Rows",
    "RunDir",
    "RunLogError",
    "TrialResult",
    "case_files",
    "case_json_schema",
    "compare_plan",
    "count_by_category",
    "first_choice",
    "load_case_file",
    "load_cases",
    "match_expression",
    "match_outcome",
    "match_step_input",
    "match_value",
    "read_run",
    "run_eval",
    "score_trial",
]
__all__ += [
    "DEFAULT_METRICS",
    "Baseline",
    "CategoryMetrics",
    "Comparison",
    "Figure",
    "GateCheck",
    "GateReport",
    "GatesConfig",
    "LatencyFigure",
    "Metric",
    "MetricRegistry",
    "PlannerMetrics",
    "RateFigure",
    "RobustnessMetrics",
    "ScalarFigure",
    "compare_all",
    "compare_planners",
    "compute_metrics",
    "evaluate_gates",
    "load_baseline",
    "load_gates",
    "mcnemar_exact",
    "metric",
    "pass_at_k",
    "pass_hat_k",
    "percentiles",
    "read_results",
    "read_summary_metrics",
    "robustness_metrics",
    "trials_frame",
    "wilson_interval",
]
__all__ += [
    "ComparisonPower",
    "GatePower",
    "SequentialGate",
    "SequentialReport",
    "mcnemar_cases_needed",
    "mcnemar_mde",
    "mcnemar_power",
]
