"""The eval runner: every case x planner x repeat as a trial, streamed to results.jsonl.

`run_eval` loads the cases and the gates (so a bad file fails before any work), opens
the model endpoint once for all LLM planners (starting the local server if no hosted
endpoint is configured, and stopping it on the way out, Ctrl-C included), runs the
trials with at most `concurrency` in flight, appends each row as it finishes, and then
summarises the run from the rows on disk (`evals.summary`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import (
    AbstractAsyncContextManager,
    AsyncExitStack,
    nullcontext,
)
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from typing import Protocol

import httpx

from evals.cases import Case, load_cases
from evals.gates import Baseline, GatesConfig, load_gates
from evals.llm_cache import CachingTransport
from evals.perturbations import with_variants
from evals.results import TrialResult
from evals.run_config import EvalConfig, EvalSpec, check_unchanged
from evals.run_dir import EvalSummary, Recovered, ResultsWriter, RunDir, recover_results
from evals.summary import build_summary, latency_measurement, load_baseline_file
from evals.trial import run_trial
from runtime.errors import UserError
from runtime.local_llm import LLMEndpoint, open_endpoint
from runtime.orchestrator import Orchestrator, OrchestratorConfig
from runtime.planners.base import Planner
from runtime.planners.factory import open_planner, planner_needs_llm, resolve_llm_mode
from runtime.settings import PlannerName, Settings

PlannerOpener = Callable[[PlannerName], AbstractAsyncContextManager[Planner]]
"""Builds a planner by name for the length of the run (tests pass their own)."""
TransportFactory = Callable[[], httpx.AsyncBaseTransport]


class ProgressSink(Protocol):
    """Told how far the run is; the CLI draws a progress bar from it."""

    def start(self, totals: Mapping[str, int], recovered: Recovered) -> None:
        """Trials per planner in the whole run, and what a resumed run already has."""

    def advance(self, row: TrialResult) -> None:
        """One trial finished and was written."""


@dataclass(frozen=True)
class EvalInputs:
    """Everything a run reads before its first trial; loading it fails fast."""

    cases: list[Case]
    gates: GatesConfig
    baseline: Baseline | None = None
    recovered: Recovered = field(default_factory=Recovered)


def load_inputs(config: EvalConfig, run: RunDir, spec: EvalSpec, *, resume: bool) -> EvalInputs:
    """Load cases, gates and baseline; record the spec, or check it before resuming.

    Raises:
        UserError: A case file, the gates file or the baseline is missing or malformed, or
            a resumed run's case files changed.
        RunLogError: A resumed run's results file is malformed.
    """
    cases = load_cases(list(config.case_paths))
    cases = with_variants(cases, config.perturbations, config.perturb_seed)
    if not cases:
        shown = ", ".join(str(path) for path in config.case_paths)
        raise UserError(f"no cases in {shown}")
    gates = load_gates(config.gates_path)
    baseline = load_baseline_file(config.baseline_path) if config.baseline_path else None
    if resume:
        check_unchanged(spec)
        recovered = recover_results(run.results_file)
    else:
        run.write_spec(spec)
        recovered = Recovered()
    return EvalInputs(cases=cases, gates=gates, baseline=baseline, recovered=recovered)


def _jobs(
    cases: Sequence[Case], planners: Sequence[PlannerName], repeats: int, done: set[object]
) -> Iterator[tuple[Case, PlannerName, int]]:
    """The trials still to run, in the order they run: by repeat, then planner by planner.

    A planner's trials run as one block, after the previous planner's block has finished.
    Interleaving planners per case would send a model the same request twice in a row
    (the llm planner's, then the hybrid's), and llama.cpp would answer the second from
    the prompt it still holds: the second planner would look many times faster than it
    is. In a block, the request before each one is the same planner's previous case, so
    a planner reuses only what every request of its own shares (the instructions).
    """
    for repeat in range(repeats):
        for name in planners:
            for case in cases:
                if (name, case.id, repeat) not in done:
                    yield case, name, repeat


async def _run_trials(
    config: EvalConfig,
    inputs: EvalInputs,
    *,
    planners: Mapping[PlannerName, Planner],
    orchestrator: Orchestrator,
    writer: ResultsWriter,
    progress: ProgressSink | None,
    serial_llm: bool,
) -> None:
    # A server that answers one request at a time would only queue the rest, and the
    # queueing would be measured as the model's latency: one model trial at a time there.
    model_slot = asyncio.Semaphore(1) if serial_llm else None

    async def one(case: Case, name: PlannerName, repeat: int, slots: asyncio.Semaphore) -> None:
        try:
            serial = model_slot is not None and planner_needs_llm(name)
            async with model_slot if serial and model_slot else nullcontext():
                row = await run_trial(
                    case,
                    planners[name],
                    planner_name=name,
                    repeat=repeat,
                    orchestrator=orchestrator,
                    timeout_s=config.case_timeout_s,
                )
            writer.append(row)
            if progress is not None:
                progress.advance(row)
        finally:
            slots.release()

    done: set[object] = set(inputs.recovered.done)
    jobs = _jobs(inputs.cases, config.planners, config.repeats, done)
    for _block, block_jobs in groupby(jobs, key=lambda job: (job[2], job[1])):
        slots = asyncio.Semaphore(config.concurrency)
        async with asyncio.TaskGroup() as group:  # the block ends before the next begins
            for case, name, repeat in block_jobs:
                await slots.acquire()  # at most `concurrency` tasks exist at once
                group.create_task(one(case, name, repeat, slots))


async def run_eval(
    config: EvalConfig,
    settings: Settings,
    run: RunDir,
    spec: EvalSpec,
    *,
    resume: bool = False,
    progress: ProgressSink | None = None,
    open_planner_for: PlannerOpener | None = None,
    http_transport: TransportFactory | None = None,
) -> EvalSummary:
    """Run (or finish) an evaluation and write its summary.

    Args:
        config: What to run.
        settings: Runtime settings: endpoint, model, timeouts, retry policy.
        run: The run directory (new, or the one being resumed).
        spec: The run's spec (`build_spec`, or the resumed run's own).
        resume: Finish `run`: skip the trials its results file already holds.
        progress: Told of each finished trial.
        open_planner_for: Builds planners by name; default: the runtime's planners,
            sharing one model endpoint.
        http_transport: Makes the transport under the response cache; default: real HTTP.

    Raises:
        UserError: Bad input files (see `load_inputs`), or the endpoint cannot be opened.
    """
    started = datetime.now(UTC)
    inputs = load_inputs(config, run, spec, resume=resume)
    totals: dict[str, int] = {name: len(inputs.cases) * config.repeats for name in config.planners}
    orchestrator = Orchestrator(OrchestratorConfig.from_settings(settings))
    done: set[object] = set(inputs.recovered.done)
    # Only planners with trials left are built: resuming a finished run starts no server.
    needed = {name for _, name, _ in _jobs(inputs.cases, config.planners, config.repeats, done)}
    endpoint: LLMEndpoint | None = None
    serial_llm = False
    async with AsyncExitStack() as stack:
        if open_planner_for is None:
            if any(planner_needs_llm(name) for name in needed):
                probe = http_transport() if http_transport is not None else None
                endpoint = await stack.enter_async_context(open_endpoint(settings, transport=probe))
            open_planner_for = _default_opener(config, settings, endpoint, http_transport)
        planners = {
            name: await stack.enter_async_context(open_planner_for(name))
            for name in config.planners
            if name in needed
        }
        serial_llm = endpoint is not None and endpoint.traits.one_request_at_a_time
        if progress is not None:
            progress.start(totals, inputs.recovered)
        with ResultsWriter(run.results_file) as writer:
            await _run_trials(
                config,
                inputs,
                planners=planners,
                orchestrator=orchestrator,
                writer=writer,
                progress=progress,
                serial_llm=serial_llm,
            )
    summary = build_summary(
        run,
        spec,
        started_at=started,
        finished_at=datetime.now(UTC),
        expected_trials=sum(totals.values()),
        gates=inputs.gates,
        baseline=inputs.baseline,
        endpoint=endpoint,
        measurement=latency_measurement(
            config,
            endpoint,
            serial_llm=serial_llm,
            llm_mode=resolve_llm_mode(settings.llm_planner_mode, endpoint) if endpoint else None,
        ),
    )
    run.write_summary(summary)
    return summary


def _default_opener(
    config: EvalConfig,
    settings: Settings,
    endpoint: LLMEndpoint | None,
    http_transport: TransportFactory | None,
) -> PlannerOpener:
    def make_transport(name: PlannerName) -> httpx.AsyncBaseTransport | None:
        inner = http_transport() if http_transport is not None else None
        if not config.cache_active:
            return inner
        # A local server listens on a new port per run: key its answers by the model it
        # serves, so that a rerun of an unchanged suite is answered from the cache.
        local = f"local {endpoint.server} {endpoint.model}" if endpoint and endpoint.local else None
        return CachingTransport(
            inner or httpx.AsyncHTTPTransport(), config.cache_dir, namespace=name, endpoint=local
        )

    def opener(name: PlannerName) -> AbstractAsyncContextManager[Planner]:
        transport = make_transport(name) if planner_needs_llm(name) else None
        return open_planner(name, settings, endpoint=endpoint, transport=transport)

    return opener
