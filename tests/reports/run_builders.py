"""Small run directories for the report tests, written with the evals and load models.

`tests/reports/data/` holds one of each, made by `python -m tests.reports.make_fixtures`
with these functions; the history tests make their own series of runs in a temp dir.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from crane_bench.evals.comparison import compare_all
from crane_bench.evals.gate_config import GatesConfig
from crane_bench.evals.gate_power import gate_power
from crane_bench.evals.gates import check_targets, evaluate_gates
from crane_bench.evals.metrics import compute_metrics, trials_frame
from crane_bench.evals.results import OutcomeClass, TrialResult
from crane_bench.evals.run_config import CaseFileRef, EvalArgs, EvalSpec
from crane_bench.evals.run_dir import Environment, EvalSummary
from crane_bench.load.config import LoadConfig
from crane_bench.load.history import HistoryRecorder, write_history
from crane_bench.load.server_metrics import ServerCounts
from crane_bench.load.slo import SloConfig, evaluate
from crane_bench.load.stats import rate_report, request_stats
from crane_bench.load.summary import CpuReport, LoadSummary
from crane_bench.runtime.models import Plan, PlanStep

SCRIPT_PROMPT = "<script>alert(1)</script> add this to my todos"
SCRIPT_CASE = "adv-script-title"
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

CASES_YAML = f"""\
# Cases of the report fixtures (tests/reports/run_builders.py).
- id: calc-add
  prompt: "what is 2 + 2"
  category: calculator
  expected: {{steps: [{{tool: calculator, input: {{expression: "2 + 2"}}}}], outcome: 4}}
- id: calc-percent
  prompt: "what is 15% of 80"
  category: calculator
  expected: {{steps: [{{tool: calculator, input: {{expression: "0.15 * 80"}}}}], outcome: 12}}
- id: todo-add
  prompt: "add buy milk to my todo list"
  category: todo
  expected: {{steps: [{{tool: todo_store, input: {{action: add, title: "buy milk"}}}}]}}
- id: todo-list
  prompt: "show my todos"
  category: todo
  expected: {{steps: [{{tool: todo_store, input: {{action: list}}}}]}}
- id: multi-add-list
  prompt: "add call mom, then show my list"
  category: multi_step
  expected:
    steps:
      - {{tool: todo_store, input: {{action: add, title: "call mom"}}}}
      - {{tool: todo_store, input: {{action: list}}}}
- id: abstain-hi
  prompt: "hi"
  category: abstain
  expected: {{steps: []}}
- id: abstain-capital
  prompt: "what's the capital of france"
  category: abstain
  expected: {{steps: []}}
- id: {SCRIPT_CASE}
  prompt: "{SCRIPT_PROMPT}"
  category: adversarial
  expected:
    steps: [{{tool: todo_store, input: {{action: add, title: "<script>alert(1)</script>"}}}}]
"""

PLANS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "calc-add": [("calculator", {"expression": "2 + 2"})],
    "calc-percent": [("calculator", {"expression": "0.15 * 80"})],
    "todo-add": [("todo_store", {"action": "add", "title": "buy milk"})],
    "todo-list": [("todo_store", {"action": "list"})],
    "multi-add-list": [
        ("todo_store", {"action": "add", "title": "call mom"}),
        ("todo_store", {"action": "list"}),
    ],
    "abstain-hi": [],
    "abstain-capital": [],
    SCRIPT_CASE: [("todo_store", {"action": "add", "title": "<script>alert(1)</script>"})],
}
CATEGORIES = {
    "calc-add": "calculator",
    "calc-percent": "calculator",
    "todo-add": "todo",
    "todo-list": "todo",
    "multi-add-list": "multi_step",
    "abstain-hi": "abstain",
    "abstain-capital": "abstain",
    SCRIPT_CASE: "adversarial",
}
# tool, step count, args, plan, end to end, valid plan
FLAGS: dict[OutcomeClass, tuple[bool, ...]] = {
    OutcomeClass.CORRECT: (True, True, True, True, True, True),
    OutcomeClass.WRONG_TOOL: (False, True, False, False, False, True),
    OutcomeClass.WRONG_ARGS: (True, True, False, False, False, True),
    OutcomeClass.WRONG_STEP_COUNT: (False, False, False, False, False, True),
    OutcomeClass.FALSE_ABSTAIN: (False, False, False, False, False, True),
    OutcomeClass.FALSE_ACTION: (False, False, False, False, False, True),
    OutcomeClass.PLANNER_ERROR: (False, False, False, False, False, False),
}


def plan(steps: Iterable[tuple[str, dict[str, Any]]] | None) -> Plan | None:
    if steps is None:
        return None
    return Plan(steps=[PlanStep(tool=tool, input=data) for tool, data in steps])


def row(
    case_id: str,
    planner: str,
    repeat: int = 0,
    outcome: OutcomeClass = OutcomeClass.CORRECT,
    *,
    steps: list[tuple[str, dict[str, Any]]] | str | None = "expected",
    latency_ms: float = 0.2,
    **extra: Any,
) -> TrialResult:
    """A trial row whose flags fit its outcome; `steps` defaults to the expected plan."""
    tool, count, args, whole, e2e, valid = FLAGS[outcome]
    actual = PLANS[case_id] if steps == "expected" else steps
    assert not isinstance(actual, str)
    expected_abstain = not PLANS[case_id]
    return TrialResult(
        case_id=case_id,
        planner=planner,
        repeat=repeat,
        category=CATEGORIES[case_id],
        outcome=outcome,
        tool_correct=tool,
        step_count_correct=count,
        args_correct=args,
        plan_correct=whole,
        end_to_end_correct=e2e,
        valid_plan=valid,
        expected_abstain=expected_abstain,
        abstained=actual == [],
        latency_ms=latency_ms,
        plan=plan(actual),
        run_status=None if actual is None else "completed",
        **extra,
    )


def fixture_rows() -> list[TrialResult]:
    """pattern and hybrid, 2 repeats, with one failure of each interesting kind."""
    rng = random.Random(7)
    rows: list[TrialResult] = []
    llm = {"model": "smollm2-135m", "tokens_in": 180, "tokens_out": 24}
    for repeat in range(2):
        for case_id in PLANS:
            fast = rng.uniform(0.05, 0.6)
            if case_id == SCRIPT_CASE:
                rows.append(row(case_id, "pattern", repeat, OutcomeClass.FALSE_ABSTAIN, steps=[]))
            elif case_id == "calc-percent":
                bad = [("calculator", {"expression": "15 * 80"})]
                rows.append(row(case_id, "pattern", repeat, OutcomeClass.WRONG_ARGS, steps=bad))
            else:
                rows.append(row(case_id, "pattern", repeat, latency_ms=fast))
            slow = rng.uniform(250, 900)
            hybrid = {"latency_ms": slow, **llm}
            if case_id == "todo-list" and repeat == 0:
                wrong = [("calculator", {"expression": "list"})]
                rows.append(
                    row(case_id, "hybrid", 0, OutcomeClass.WRONG_TOOL, steps=wrong, **hybrid)
                )
            elif case_id == "todo-add" and repeat == 1:
                rows.append(
                    row(
                        case_id,
                        "hybrid",
                        1,
                        OutcomeClass.PLANNER_ERROR,
                        steps=None,
                        error="LLMUnavailableError: connection refused <b>not bold</b>",
                        **hybrid,
                    )
                )
            elif case_id == "abstain-capital":
                capital = [("calculator", {"expression": "france"})]
                rows.append(
                    row(
                        case_id,
                        "hybrid",
                        repeat,
                        OutcomeClass.FALSE_ACTION,
                        steps=capital,
                        **hybrid,
                    )
                )
            elif case_id == SCRIPT_CASE:
                rows.append(
                    row(
                        case_id,
                        "hybrid",
                        repeat,
                        OutcomeClass.FALSE_ABSTAIN,
                        steps=[],
                        fallback_reason="invalid_json",
                        raw_output='{"steps": [</script><script>alert(2)</script>',
                        **hybrid,
                    )
                )
            else:
                reason = "timeout" if case_id == "calc-add" and repeat == 1 else None
                rows.append(row(case_id, "hybrid", repeat, fallback_reason=reason, **hybrid))
    return rows


GATES = GatesConfig.model_validate(
    {
        "checks": [
            {"planner": "pattern", "metric": "plan_accuracy", "op": ">=", "threshold": 0.9},
            {"planner": "hybrid", "metric": "valid_plan_rate", "op": ">=", "threshold": 0.5},
            {"planner": "llm", "metric": "tool_accuracy", "op": ">=", "threshold": 0.2},
        ]
    }
)
ENVIRONMENT = Environment(
    python="3.11.7", platform="Linux-x86_64", packages={"crane-bench": "0.1.0", "pandas": "3.1.1"}
)


def write_eval_run(
    run_dir: Path,
    rows: list[TrialResult],
    *,
    cases: Path,
    started_at: datetime = T0,
    git_sha: str = "0123456789abcdef0123456789abcdef01234567",
) -> EvalSummary:
    """Write spec.json, results.jsonl and summary.json; the case file path is made relative."""
    run_dir.mkdir(parents=True, exist_ok=True)
    relative = (
        Path("..") / cases.relative_to(run_dir.parent)
        if cases.is_relative_to(run_dir.parent)
        else cases
    )
    sha = hashlib.sha256(cases.read_bytes()).hexdigest()
    planners = sorted({r.planner for r in rows})
    spec = EvalSpec(
        args=EvalArgs(
            planners=planners,  # type: ignore[arg-type]
            case_files=[CaseFileRef(path=str(relative), sha256=sha)],
            repeats=max(r.repeat for r in rows) + 1,
            concurrency=4,
            case_timeout_s=60.0,
            cache=False,
            gates="evals/gates.yaml",
            settings={"step_max_retries": 3, "llm_model": "smollm2-135m", "llm_temperature": 0.0},
        )
    )
    (run_dir / "spec.json").write_text(spec.model_dump_json(indent=2) + "\n")
    with (run_dir / "results.jsonl").open("w") as out:
        out.writelines(r.model_dump_json() + "\n" for r in rows)
    frame = trials_frame(rows)
    metrics = compute_metrics(frame)
    summary = EvalSummary(
        run_id=run_dir.name,
        started_at=started_at,
        finished_at=started_at + timedelta(seconds=42),
        spec=spec,
        git_sha=git_sha,
        environment=ENVIRONMENT,
        trials=len(rows),
        expected_trials=len(rows),
        cached_trials=0,
        planners=metrics,
        comparisons=compare_all(frame) if len(metrics) > 1 else [],
        gates=(gates := evaluate_gates(metrics, GATES, frame=frame)),
        gate_power=gate_power(check_targets(GATES, metrics), gates.checks, metrics, frame),
    )
    (run_dir / "summary.json").write_text(summary.model_dump_json(indent=2) + "\n")
    return summary


LOAD_ERROR = "HTTPError('503 Service Unavailable <script>alert(3)</script>')"


def _entries(recorder: HistoryRecorder, rng: random.Random) -> tuple[list[dict[str, Any]], int]:
    """Simulate 30 seconds of a mixed load; returns locust-like entries and user-seconds."""
    kinds = {
        ("POST", "/api/v1/runs"): 6.0,
        ("GET", "/api/v1/runs/[id]"): 5.0,
        ("GET", "/api/v1/health"): 2.0,
        ("RUN", "calculator"): 14.0,
        ("RUN", "todo"): 16.0,
    }
    entries = {key: {"method": key[0], "name": key[1], "num_requests": 0, "num_failures": 0,
                     "total_response_time": 0.0, "max_response_time": 0.0, "response_times": {}}
               for key in kinds}  # fmt: skip
    start = int(T0.timestamp())
    user_seconds = 0
    for second in range(30):
        users = min(20, 4 * (second + 1))
        user_seconds += users
        recorder.users(start + second, users)
        for (method, name), base in kinds.items():
            for _ in range(users * 2):
                ms = rng.lognormvariate(0, 0.4) * base * (3 if 14 <= second <= 16 else 1)
                failed = method == "POST" and 14 <= second <= 16 and rng.random() < 0.3
                recorder.request(start + second, method, ms, failed)
                if method == "RUN":
                    recorder.arrival(start + second)
                entry = entries[(method, name)]
                entry["num_requests"] += 1
                entry["num_failures"] += failed
                entry["total_response_time"] += ms
                entry["max_response_time"] = max(entry["max_response_time"], ms)
                key = round(ms)
                entry["response_times"][key] = entry["response_times"].get(key, 0) + 1
    return list(entries.values()), user_seconds


def write_load_run(run_dir: Path, *, started_at: datetime = T0, slower: float = 1.0) -> LoadSummary:
    """Write load_summary.json and history.csv of a simulated 30 s mixed load."""
    run_dir.mkdir(parents=True, exist_ok=True)
    recorder = HistoryRecorder()
    entries, user_seconds = _entries(recorder, random.Random(11))
    for entry in entries:
        entry["response_times"] = {k * slower: v for k, v in entry["response_times"].items()}
        entry["total_response_time"] *= slower
    post_failures = next(e["num_failures"] for e in entries if e["method"] == "POST")
    errors = [
        {
            "method": "POST",
            "name": "/api/v1/runs",
            "error": LOAD_ERROR,
            "occurrences": post_failures,
        },
    ]
    requests = request_stats(entries, errors, duration_s=30.0)
    rate = rate_report(arrivals=recorder.arrivals_total, duration_s=30.0, target_per_s=None,
                       per_user_rate=None, user_seconds=user_seconds)  # fmt: skip
    config = LoadConfig(scenario="mixed", users=20, run_time_s=30.0, planner="pattern")
    gates = evaluate(requests, rate, SloConfig(max_p95_ms={"RUN": 40.0}))
    cpu = CpuReport(cpu_s=9.0, wall_s=30.0, cores_used=0.3, share=0.15, cores=2, processes=1)
    summary = LoadSummary(
        run_id=run_dir.name,
        started_at=started_at,
        finished_at=started_at + timedelta(seconds=33),
        config=config,
        host="http://127.0.0.1:8000",
        locust_command=["python", "-m", "locust", "--headless", "--users", "20"],
        locust_exit_code=0 if gates.passed else 1,
        requests=requests,
        rate=rate,
        peak_users=20,
        generator_cpu=cpu,
        service_cpu=cpu.model_copy(update={"cpu_s": 15.0, "cores_used": 0.5, "share": 0.25}),
        server=ServerCounts(
            runs_by_status={"completed": 1150, "failed": 60},
            runs_by_planner={"pattern": 1210},
            step_retries=4,
            fallbacks={},
            rejected={"busy": post_failures},
            timeouts={"step": 1},
            runs_in_flight_after=0,
        ),
        gates=gates,
        files={"summary": "load_summary.json", "history": "history.csv"},
    )
    write_history(recorder.rows(), run_dir / "history.csv")
    (run_dir / "load_summary.json").write_text(summary.model_dump_json(indent=2) + "\n")
    return summary
