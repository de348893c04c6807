"""Load tests of the service over HTTP: locust scenarios, a runner, SLO gates, summaries.

Importing this package does not import locust (nor gevent): the scenarios under
`load/scenarios/` are locust files that run in a child process. Nor does it import the
eval package and its statistics: the `gold` scenario's scoring (`load.quality`,
`load.reference`) brings them in when used. See `load/README.md`.
"""

from crane_bench.load.config import (
    DEFAULT_SLO,
    SCENARIOS,
    SHAPES,
    LoadConfig,
    Scenario,
    Shape,
    format_duration,
    parse_duration,
)
from crane_bench.load.errors import (
    LoadConfigError,
    LoadError,
    LocustRunError,
    ResultError,
    ServiceStartError,
    UnloadedPassError,
)
from crane_bench.load.history import HistoryRecorder, HistoryRow, read_history, write_history
from crane_bench.load.prompts import Prompt, PromptPool
from crane_bench.load.quality_gates import QualitySlo, evaluate_quality
from crane_bench.load.quality_models import PlannerQuality, QualityReport, QualityStats
from crane_bench.load.runner import run_load
from crane_bench.load.server_metrics import ServerCounts
from crane_bench.load.service import ServiceCommand, ServiceProcess
from crane_bench.load.slo import SloConfig, evaluate, load_slo
from crane_bench.load.stats import LatencyStats, RateReport, RequestStats
from crane_bench.load.summary import (
    SUMMARY_FILE,
    CpuReport,
    LoadResult,
    LoadSummary,
    new_run_dir,
    read_result,
    read_summary,
)
from crane_bench.plumbing.gates import GateCheck, GateReport

__all__ = [
    "DEFAULT_SLO",
    "SCENARIOS",
    "SHAPES",
    "SUMMARY_FILE",
    "CpuReport",
    "GateCheck",
    "GateReport",
    "HistoryRecorder",
    "HistoryRow",
    "LatencyStats",
    "LoadConfig",
    "LoadConfigError",
    "LoadError",
    "LoadResult",
    "LoadSummary",
    "LocustRunError",
    "PlannerQuality",
    "Prompt",
    "PromptPool",
    "QualityReport",
    "QualitySlo",
    "QualityStats",
    "RateReport",
    "RequestStats",
    "ResultError",
    "Scenario",
    "ServerCounts",
    "ServiceCommand",
    "ServiceProcess",
    "ServiceStartError",
    "Shape",
    "SloConfig",
    "UnloadedPassError",
    "evaluate",
    "evaluate_quality",
    "format_duration",
    "load_slo",
    "new_run_dir",
    "parse_duration",
    "read_history",
    "read_result",
    "read_summary",
    "run_load",
    "write_history",
]
