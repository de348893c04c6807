"""`--stop-when-decided`: seeded synthetic planners of known accuracy, no model.

A synthetic planner answers a case right with a known probability, drawn once per case
from a seed, so a run is reproducible and its planners' true accuracies are known. The
simulations of the tests' error rates are in `test_confseq.py`; here the gates are run
through the real runner: they stop early on clear cases, each planner where its own gates
are decided, and a resumed run reaches the same decisions.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from crane_bench.evals.confseq import STRENGTH, crossing, tuned_strength
from crane_bench.evals.gate_config import GatesConfig
from crane_bench.evals.metrics import trials_frame
from crane_bench.evals.rescore_run import rescore_run
from crane_bench.evals.run_config import EvalConfig, build_spec
from crane_bench.evals.run_dir import EvalSummary, RunDir, sequential_sentence
from crane_bench.evals.runner import run_eval
from crane_bench.evals.sequential import replay, still_running
from crane_bench.evals.sequential_checks import monitors
from crane_bench.runtime.models import Plan, PlanMeta, PlanResult, PlanStep
from tests.evals.eval_helpers import offline_settings, opener_of, read_rows
from tests.evals.trial_rows import scored

CASES = 200
ACCURACY = {"good": 0.95, "poor": 0.5, "idle": 0.7}
GATES = {
    "checks": [
        {"planner": "good", "metric": "plan_accuracy", "op": ">=", "threshold": 0.7},
        {
            "planner": "good",
            "metric": "plan_accuracy",
            "op": ">=",
            "threshold": {"planner": "poor"},
        },
        {"planner": "poor", "metric": "plan_accuracy", "op": "<=", "threshold": 0.8},
        {"planner": "poor", "metric": "latency_ms.p95", "op": "<=", "threshold": 5000},
    ],
    "sequential": {"alpha": 0.05},
}
NOT_SEQUENTIAL = {"planner": "good", "metric": "tokens_per_plan", "op": "<=", "threshold": 10}


class Synthetic:
    """Right on a case with probability `accuracy`, drawn from the seed and the prompt."""

    def __init__(self, name: str, accuracy: float, seed: int = 0) -> None:
        self.name, self.accuracy, self.seed = name, accuracy, seed
        self.calls = 0

    async def plan(self, prompt: str) -> PlanResult:
        self.calls += 1
        await asyncio.sleep(0)
        right = random.Random(f"{self.seed}:{self.name}:{prompt}").random() < self.accuracy
        number = int(prompt.split()[1])
        steps = [PlanStep(tool="calculator", input={"expression": f"{number}+1"})]
        plan = Plan(steps=steps if right else [])
        return PlanResult(plan=plan, meta=PlanMeta(planner=self.name))


def _write(tmp_path: Path, gates: dict[str, object]) -> tuple[Path, Path]:
    cases = [
        {
            "id": f"c{i:03d}",
            "prompt": f"calculate {i} + 1",
            "category": "calculator",
            "expected": {"steps": [{"tool": "calculator", "input": {"expression": f"{i}+1"}}]},
        }
        for i in range(CASES)
    ]
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "cases.yaml").write_text(yaml.safe_dump(cases), encoding="utf-8")
    (tmp_path / "gates.yaml").write_text(yaml.safe_dump(gates), encoding="utf-8")
    return tmp_path / "cases.yaml", tmp_path / "gates.yaml"


def _config(cases: Path, gates: Path, labels: tuple[str, ...], seed: int = 0) -> EvalConfig:
    return EvalConfig(
        planners=tuple(f"{label}=pattern" for label in labels),  # type: ignore[arg-type]
        case_paths=(cases,),
        gates_path=gates,
        use_cache=False,
        transcripts=False,
        stop_when_decided=True,
        order_seed=seed,
    )


def _planners(labels: tuple[str, ...]) -> dict[str, Synthetic]:
    return {label: Synthetic(label, ACCURACY[label]) for label in labels}


async def _run(
    tmp_path: Path, gates: dict[str, object], labels: tuple[str, ...], seed: int = 0
) -> tuple[RunDir, EvalSummary, dict[str, Synthetic]]:
    cases, gates_file = _write(tmp_path, gates)
    cfg, settings = _config(cases, gates_file, labels, seed), offline_settings()
    run = RunDir.create(tmp_path / "run")
    planners = _planners(labels)
    summary = await run_eval(
        cfg, settings, run, build_spec(cfg, settings), open_planner_for=opener_of(planners)
    )
    return run, summary, planners


async def test_clear_gates_stop_the_run_well_before_the_suite_ends(tmp_path: Path) -> None:
    run, summary, planners = await _run(tmp_path, GATES, ("good", "poor", "idle"))
    s = summary.sequential
    assert s is not None
    assert s.stopped_early
    assert all(g.status == "pass" for g in s.gates), [g.note for g in s.gates]
    assert all(g.decided_after is not None and g.decided_after <= CASES // 2 for g in s.gates)
    # The run stopped at the end of the round of the last decision; a planner that no
    # gate reads ran until then, the others until their own gates were decided.
    last = max(g.decided_after or 0 for g in s.gates)
    end = max(s.cases_run.values())
    assert last <= end < last + s.round_cases
    assert s.cases_run["idle"] == end == planners["idle"].calls - 1  # and its warm-up
    good_gates = [g.decided_after or 0 for g in s.gates if "good" in g.planners]
    assert max(good_gates) <= s.cases_run["good"] < max(good_gates) + s.round_cases
    assert summary.trials == summary.expected_trials == sum(s.cases_run.values())
    assert s.trials_saved == 3 * CASES - summary.trials
    assert summary.gates.passed
    decided = [c for c in summary.gates.checks if "(sequential: passed after" in c.message]
    assert len(decided) == len(GATES["checks"])  # type: ignore[arg-type]
    for gate in s.gates:
        assert gate.lower is not None
        assert gate.upper is not None
        assert gate.lower <= (gate.mean or 0) <= gate.upper
    assert len(read_rows(run.results_file)) == summary.trials
    # The point estimates' gates were tested as the suite's own rate, and the run says so.
    assert [g.population for g in s.gates] == [CASES, None, CASES, CASES]
    assert s.live_planners == ["good", "poor", "idle"]
    assert "tested as the suite's own rate" in sequential_sentence(summary)


async def test_each_planner_stops_when_its_own_gates_are_decided(tmp_path: Path) -> None:
    gates = {**GATES, "checks": [*GATES["checks"], NOT_SEQUENTIAL]}  # type: ignore[list-item]
    _, summary, _ = await _run(tmp_path, gates, ("good", "poor"))
    s = summary.sequential
    assert s is not None
    assert s.cases_run["good"] == CASES  # a mean needs every case
    assert s.cases_run["poor"] < CASES // 2
    assert s.stopped_early
    held = next(g for g in s.gates if g.status == "not_sequential")
    assert held.planners == ["good"]
    assert "needs every case" in summary.gate_notes()[held.check]
    assert "good ran to the end" in s.reason


async def test_a_resumed_run_reaches_the_same_decisions(tmp_path: Path) -> None:
    labels = ("good", "poor")
    _, whole, _ = await _run(tmp_path / "whole", GATES, labels)
    cases, gates_file = _write(tmp_path, GATES)
    cfg, settings = _config(cases, gates_file, labels), offline_settings()
    run = RunDir.create(tmp_path / "run")
    main: list[asyncio.Task[EvalSummary]] = []
    first = _planners(labels)
    inner = first["poor"].plan

    async def interrupting(prompt: str) -> PlanResult:
        if first["poor"].calls == 20:
            main[0].cancel()  # Ctrl-C in the middle of the second round
        return await inner(prompt)

    first["poor"].plan = interrupting  # type: ignore[method-assign]
    task = asyncio.create_task(
        run_eval(cfg, settings, run, build_spec(cfg, settings), open_planner_for=opener_of(first))
    )
    main.append(task)
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not run.summary_file.exists()

    async def resume() -> tuple[EvalSummary, dict[str, Synthetic]]:
        planners = _planners(labels)
        summary = await run_eval(
            cfg, settings, run, run.read_spec(), resume=True, open_planner_for=opener_of(planners)
        )
        return summary, planners

    resumed, _ = await resume()
    assert resumed.sequential is not None
    assert whole.sequential is not None
    assert resumed.sequential.cases_run == whole.sequential.cases_run
    decided = [(g.status, g.decided_after) for g in resumed.sequential.gates]
    assert decided == [(g.status, g.decided_after) for g in whole.sequential.gates]
    # Resuming a run that stopped runs nothing more, and says the same.
    again, untouched = await resume()
    assert all(p.calls == 0 for p in untouched.values())
    assert again.sequential is not None
    assert again.sequential.cases_run == whole.sequential.cases_run


async def test_a_rescored_run_keeps_its_stop_and_decisions(tmp_path: Path) -> None:
    run, summary, _ = await _run(tmp_path, GATES, ("good", "poor"))
    rescored = (await rescore_run(run.path)).summary
    assert rescored.sequential is not None
    assert summary.sequential is not None
    assert rescored.sequential.cases_run == summary.sequential.cases_run
    before = [(g.status, g.decided_after) for g in summary.sequential.gates]
    assert [(g.status, g.decided_after) for g in rescored.sequential.gates] == before
    assert [c.message for c in rescored.gates.checks] == [c.message for c in summary.gates.checks]


def test_the_seed_changes_the_order_not_the_guarantee(tmp_path: Path) -> None:
    async def both() -> list[EvalSummary]:
        found = []
        for seed in (1, 2):
            _, summary, _ = await _run(tmp_path / str(seed), GATES, ("good", "poor"), seed)
            found.append(summary)
        return found

    one, two = asyncio.run(both())
    assert one.sequential is not None
    assert two.sequential is not None
    assert [g.status for g in one.sequential.gates] == [g.status for g in two.sequential.gates]
    assert [g.decided_after for g in one.sequential.gates] != [
        g.decided_after for g in two.sequential.gates
    ]


def test_replay_decides_as_the_test_on_the_same_outcomes() -> None:
    rng = np.random.default_rng(3)
    right = list(rng.random(150) < 0.9)
    frame = trials_frame(scored("good", right))
    order = [f"c{i}" for i in range(150)]
    config = GatesConfig.model_validate(
        {"checks": [{"planner": "good", "metric": "plan_accuracy", "op": ">=", "threshold": 0.75}]}
    )
    [gate] = replay(monitors(config, ["good"]), frame, order, 0.05)
    expected = int(crossing(np.array(right), 0.75, "above", 0.05))
    assert gate.status == "pass"
    assert gate.decided_after == expected
    # In another order the same outcomes are decided at another case.
    shuffled = list(reversed(order))
    [other] = replay(monitors(config, ["good"]), frame, shuffled, 0.05)
    assert other.decided_after == int(crossing(np.array(right[::-1]), 0.75, "above", 0.05))


def test_a_paired_gate_at_equality_errs_at_most_alpha() -> None:
    # Two synthetic planners of the same accuracy 0.85, correlated through shared hard
    # cases: "good >= poor" holds, so failing it is the error; seeded simulated runs.
    rng = np.random.default_rng(11)
    runs, cases, wrong = 2000, 300, 0
    hard = rng.random((runs, cases)) < 0.1
    a = np.where(hard, rng.random((runs, cases)) < 0.4, rng.random((runs, cases)) < 0.9)
    b = np.where(hard, rng.random((runs, cases)) < 0.4, rng.random((runs, cases)) < 0.9)
    for x, y in zip(a, b, strict=True):
        signs = x[x != y]
        wrong += bool(crossing(signs, 0.5, "below", 0.05))
    assert wrong / runs <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / runs)


def test_planners_keep_running_while_their_gates_are_open() -> None:
    frame = trials_frame([*scored("a", [True] * 30), *scored("b", [True] * 30)])
    config = GatesConfig.model_validate(
        {
            "checks": [
                {"planner": "a", "metric": "plan_accuracy", "op": ">=", "threshold": 0.5},
                {"planner": "b", "metric": "plan_accuracy", "op": ">=", "threshold": 0.99},
            ]
        }
    )
    order = [f"c{i}" for i in range(30)]
    gates = replay(monitors(config, ["a", "b", "c"]), frame, order, 0.05)
    assert [g.status for g in gates] == ["pass", "undecided"]
    assert still_running(["a", "b", "c"], gates) == {"b", "c"}
    assert isinstance(frame, pd.DataFrame)


def test_a_latency_gate_reads_only_live_trials() -> None:
    from tests.evals.trial_rows import trial  # noqa: PLC0415

    config = GatesConfig.model_validate(
        {"checks": [{"planner": "llm", "metric": "latency_ms.p95", "op": "<=", "threshold": 5000}]}
    )
    order = [f"c{i}" for i in range(100)]
    cached = trials_frame([trial(c, planner="llm", latency_ms=1.0, cached=True) for c in order])
    [gate] = replay(monitors(config, ["llm"]), cached, order, 0.05)
    assert (gate.status, gate.observations) == ("undecided", 0)
    assert "--no-cache decides it" in gate.note
    live = trials_frame([trial(c, planner="llm", latency_ms=900.0) for c in order])
    [gate] = replay(monitors(config, ["llm"]), live, order, 0.05)
    assert gate.status == "pass"
    assert gate.decided_after is not None
    assert gate.decided_after < 100
    slow = trials_frame([trial(c, planner="llm", latency_ms=6000.0) for c in order])
    [gate] = replay(monitors(config, ["llm"]), slow, order, 0.05)
    assert gate.status == "fail"


def test_point_estimates_are_tested_as_the_suites_own_rate() -> None:
    config = GatesConfig.model_validate(
        {
            "checks": [
                {"planner": "a", "metric": "plan_accuracy", "op": ">=", "threshold": 0.8},
                {"planner": "a", "metric": "plan_accuracy", "op": "<=", "threshold": 0.8},
                {"planner": "a", "metric": "latency_ms.p95", "op": "<=", "threshold": 50},
                {
                    "planner": "a",
                    "metric": "plan_accuracy",
                    "op": ">=",
                    "threshold": 0.8,
                    "use": "lower_bound",
                },
                {
                    "planner": "a",
                    "metric": "false_action_rate",
                    "op": "<=",
                    "threshold": 0.1,
                },
                {"planner": "b", "metric": "latency_ms.p95", "op": "<=", "threshold": 50},
            ]
        }
    )
    found = monitors(config, ["a", "b"], scope={None: 223}, live=["a"])
    # 179 of 223 right is 0.803: the full run passes `>= 0.8` from 179 on, and `<= 0.8`
    # up to 178; p95 <= 50 surely passes with 212 trials within, surely fails with 210.
    assert [(m.population, m.pass_test, m.fail_test) for m in found[:3]] == [
        (223, ("above", 178), ("below", 179)),
        (223, ("below", 179), ("above", 178)),
        (223, ("above", 211), ("below", 211)),
    ]
    # A bound is about the rate the suite samples; a rate not every trial has, and a
    # latency the response cache may answer, have no known N: tested as rates.
    assert [m.population for m in found[3:]] == [None, None, None]
    # Every test's prior is tuned to half the suite, from the threshold alone; a paired
    # test, which reads an unknown number of discordant cases, keeps the fixed one.
    assert found[0].strength_above == tuned_strength(0.8, "above", 0.05, 112)
    assert found[3].strength_below == tuned_strength(0.8, "below", 0.05, 112)
    paired = GatesConfig.model_validate(
        {
            "checks": [
                {
                    "planner": "a",
                    "metric": "plan_accuracy",
                    "op": ">=",
                    "threshold": {"planner": "b"},
                }
            ]
        }
    )
    [pair] = monitors(paired, ["a", "b"], scope={None: 223}, live=["a", "b"])
    assert (pair.kind, pair.population, pair.strength_above) == ("paired", None, STRENGTH)


def test_a_suite_gate_decides_by_half_the_suite_where_a_rate_test_did_not() -> None:
    # The gold suite's figures: 200 of 223 right against 0.8, in the order of a seed where
    # the first version (a rate's test, prior of 5 cases) decided only after 125 cases.
    suite = np.arange(223) < 200
    config = GatesConfig.model_validate(
        {"checks": [{"planner": "a", "metric": "plan_accuracy", "op": ">=", "threshold": 0.8}]}
    )
    rng = np.random.default_rng(0)
    for _ in range(50):
        right = rng.permutation(suite)
        if int(crossing(right, 0.8, "above", 0.05)) > 111:
            break
    order = [f"c{i}" for i in range(223)]
    frame = trials_frame(scored("a", list(right)))
    [before] = replay(monitors(config, ["a"]), frame, order, 0.05)
    [after] = replay(monitors(config, ["a"], scope={None: 223}), frame, order, 0.05)
    assert before.decided_after is not None
    assert before.decided_after > 111
    assert (after.status, after.population) == ("pass", 223)
    assert after.decided_after is not None
    assert after.decided_after <= 111
