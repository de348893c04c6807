"""The eval runner: every case x planner x repeat as a trial, streamed to results.jsonl.

`run_eval` loads the cases and the gates (so a bad file fails before any work), opens
each distinct model endpoint once (a local server per local model, stopped on the way
out, Ctrl-C included: `runtime.planners.endpoints`), builds every planner spec's
planner, runs the trials with at most `concurrency` in flight, appends each row (keyed
by the spec's label) as it finishes, and then summarises the run from the rows on disk
(`evals.summary`). Unless transcripts are off, each trial gets its own `Recorder`, and
its transcript is appended to `transcripts.jsonl` just before its row.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    AsyncExitStack,
    nullcontext,
)
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from typing import Protocol

import httpx

from crane_bench.evals.cases import Case, load_cases
from crane_bench.evals.gates import Baseline, GatesConfig, load_gates
from crane_bench.evals.llm_cache import CachingTransport
from crane_bench.evals.metric_registry import DEFAULT_METRICS, MetricRegistry
from crane_bench.evals.metrics import trials_frame
from crane_bench.evals.perturbations import with_variants
from crane_bench.evals.results import TrialResult
from crane_bench.evals.run_config import EvalConfig, EvalSpec, check_unchanged
from crane_bench.evals.run_dir import EvalSummary, Recovered, ResultsWriter, RunDir, recover_results
from crane_bench.evals.run_reader import read_results
from crane_bench.evals.sequential_run import SequentialReport, SequentialSchedule
from crane_bench.evals.summary import (
    build_summary,
    latency_measurement,
    llm_modes,
    load_baseline_file,
)
from crane_bench.evals.transcript_store import TranscriptWriter, reconcile_transcripts
from crane_bench.evals.transcripts import build_transcript
from crane_bench.evals.trial import run_trial
from crane_bench.evals.warmup import WarmUp, warm_up
from crane_bench.runtime.errors import UserError
from crane_bench.runtime.local_llm import LLMEndpoint
from crane_bench.runtime.orchestrator import Orchestrator, OrchestratorConfig
from crane_bench.runtime.planners.base import Planner
from crane_bench.runtime.planners.endpoints import EndpointPool
from crane_bench.runtime.planners.factory import open_spec_planner
from crane_bench.runtime.planners.specs import PlannerSpec
from crane_bench.runtime.settings import Settings
from crane_bench.runtime.transcript import Recorder

PlannerOpener = Callable[[str], AbstractAsyncContextManager[Planner]]
"""Builds a planner by label for the length of the run (tests pass their own)."""
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


def load_inputs(
    config: EvalConfig,
    run: RunDir,
    spec: EvalSpec,
    *,
    resume: bool,
    metrics: MetricRegistry = DEFAULT_METRICS,
) -> EvalInputs:
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
    gates = load_gates(config.gates_path, metrics)
    baseline = load_baseline_file(config.baseline_path) if config.baseline_path else None
    if resume:
        check_unchanged(spec)
        recovered = recover_results(run.results_file)
        if config.transcripts:
            reconcile_transcripts(run.transcripts_file, recovered.done)
    else:
        run.write_spec(spec)
        recovered = Recovered()
    return EvalInputs(cases=cases, gates=gates, baseline=baseline, recovered=recovered)


def _jobs(
    cases: Sequence[Case], planners: Sequence[str], repeats: int, done: set[object]
) -> Iterator[tuple[Case, str, int]]:
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


@dataclass
class TrialBlocks:
    """Runs blocks of trials, at most `concurrency` at once, writing each row as it ends."""

    config: EvalConfig
    planners: Mapping[str, Planner]
    orchestrator: Orchestrator
    writer: ResultsWriter
    transcripts: TranscriptWriter | None
    progress: ProgressSink | None
    model_slots: Mapping[str, asyncio.Semaphore]
    on_row: Callable[[TrialResult], None] | None = None
    """Told of each row written (the sequential gates keep its scalar columns)."""

    async def _one(self, case: Case, name: str, repeat: int, slots: asyncio.Semaphore) -> None:
        transcripts = self.transcripts
        try:
            model_slot = self.model_slots.get(name)
            async with model_slot if model_slot is not None else nullcontext():
                recorder = Recorder(secrets=transcripts.secrets) if transcripts else None
                row = await run_trial(
                    case,
                    self.planners[name],
                    planner_name=name,
                    repeat=repeat,
                    orchestrator=self.orchestrator,
                    timeout_s=self.config.case_timeout_s,
                    recorder=recorder,
                )
            # The transcript goes first: `evals.transcript_store` says why a kill between
            # the two writes is then repaired on resume.
            if transcripts is not None and recorder is not None:
                transcripts.append(build_transcript(row, recorder))
            self.writer.append(row)
            if self.on_row is not None:
                self.on_row(row)
            if self.progress is not None:
                self.progress.advance(row)
        finally:
            slots.release()

    async def run_block(self, jobs: Iterable[tuple[Case, str, int]]) -> None:
        """Run `jobs` and return when every one has ended (the next block starts after)."""
        slots = asyncio.Semaphore(self.config.concurrency)
        async with asyncio.TaskGroup() as group:
            for case, name, repeat in jobs:
                await slots.acquire()  # at most `concurrency` tasks exist at once
                group.create_task(self._one(case, name, repeat, slots))


async def _run_trials(blocks: TrialBlocks, inputs: EvalInputs) -> None:
    config = blocks.config
    done: set[object] = set(inputs.recovered.done)
    jobs = _jobs(inputs.cases, config.labels, config.repeats, done)
    for _block, block_jobs in groupby(jobs, key=lambda job: (job[2], job[1])):
        await blocks.run_block(block_jobs)


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
    metrics: MetricRegistry = DEFAULT_METRICS,
) -> EvalSummary:
    """Run (or finish) an evaluation and write its summary.

    Args:
        config: What to run.
        settings: Runtime settings: endpoint, model, timeouts, retry policy.
        run: The run directory (new, or the one being resumed).
        spec: The run's spec (`build_spec`, or the resumed run's own).
        resume: Finish `run`: skip the trials its results file already holds.
        progress: Told of each finished trial.
        open_planner_for: Builds planners by label; default: each spec's planner, the
            specs that name the same model sharing its endpoint.
        http_transport: Makes the transport under the response cache; default: real HTTP.
        metrics: The metrics to summarise and gate on (`evals.metric_registry`).

    Raises:
        UserError: Bad input files (see `load_inputs`), or the endpoint cannot be opened.
    """
    started = datetime.now(UTC)
    inputs = load_inputs(config, run, spec, resume=resume, metrics=metrics)
    totals: dict[str, int] = {name: len(inputs.cases) * config.repeats for name in config.labels}
    orchestrator = Orchestrator(OrchestratorConfig.from_settings(settings))
    done: set[object] = set(inputs.recovered.done)
    # Only planners with trials left are built: resuming a finished run starts no server.
    needed = {name for _, name, _ in _jobs(inputs.cases, config.labels, config.repeats, done)}
    schedule: SequentialSchedule | None = None
    sequential: SequentialReport | None = None
    if config.stop_when_decided:
        schedule = _schedule(config, inputs, run, metrics)
        needed = schedule.planners_needed(inputs.recovered.done)
    endpoints: dict[str, LLMEndpoint] = {}
    warmups: list[WarmUp] = []
    async with AsyncExitStack() as stack:
        pool = EndpointPool(stack, settings, http_transport)
        if open_planner_for is None:
            for planner_spec in config.planners:
                if planner_spec.label in needed:
                    await pool.open_for(planner_spec)
            open_planner_for = _default_opener(config, settings, pool.by_label, http_transport)
        planners = {
            name: await stack.enter_async_context(open_planner_for(name))
            for name in config.labels
            if name in needed
        }
        endpoints = pool.by_label
        model_slots = _model_slots(pool)
        # One untimed plan per planner first, so no trial's latency is a cold start.
        key = settings.openai_api_key
        secrets = [key.get_secret_value()] if key is not None else []
        warmups = await warm_up(planners, config.case_timeout_s, secrets)
        if progress is not None:
            progress.start(totals, inputs.recovered)
        with (
            ResultsWriter(run.results_file) as writer,
            _transcript_writer(config, run, settings) as transcripts,
        ):
            blocks = TrialBlocks(
                config, planners, orchestrator, writer, transcripts, progress, model_slots
            )
            if schedule is not None:
                sequential = await schedule.run(blocks, inputs.recovered.done)
            else:
                await _run_trials(blocks, inputs)
    modes = llm_modes(config, settings, endpoints)
    # A run that stopped early set out to run the trials of the rounds it reached.
    expected = sum(totals.values()) if sequential is None else sum(sequential.cases_run.values())
    summary = build_summary(
        run,
        spec,
        started_at=started,
        finished_at=datetime.now(UTC),
        expected_trials=expected,
        gates=inputs.gates,
        baseline=inputs.baseline,
        endpoints=endpoints,
        measurement=latency_measurement(config, settings, endpoints, modes, warmups),
        modes=modes,
        metrics=metrics,
        sequential=sequential,
    )
    run.write_summary(summary)
    return summary


def _schedule(
    config: EvalConfig, inputs: EvalInputs, run: RunDir, metrics: MetricRegistry
) -> SequentialSchedule:
    """The sequential schedule, with the rows a resumed run already holds."""
    on_disk = run.results_file.exists() and bool(inputs.recovered.done)
    initial = read_results(run.results_file, metrics) if on_disk else trials_frame([], metrics)
    return SequentialSchedule.create(
        inputs.cases,
        config.labels,
        inputs.gates,
        seed=config.order_seed,
        concurrency=config.concurrency,
        initial=initial,
        metrics=metrics,
        live=[s.label for s in config.planners if not (config.cache_active and s.needs_llm)],
    )


def _transcript_writer(
    config: EvalConfig, run: RunDir, settings: Settings
) -> AbstractContextManager[TranscriptWriter | None]:
    if not config.transcripts:
        return nullcontext()
    key = settings.openai_api_key
    return TranscriptWriter(
        run.transcripts_file, secrets=[key.get_secret_value()] if key is not None else []
    )


def _model_slots(pool: EndpointPool) -> dict[str, asyncio.Semaphore]:
    """A semaphore of the server's slots per endpoint whose slots are known, by label.

    A server that decodes N requests at once (llama-server's slots; llama-cpp-python's
    one) would only queue more, and the queueing would be measured as the model's
    latency: at most N model trials at a time there.
    """
    slots = {
        key: asyncio.Semaphore(n)
        for key, endpoint in pool.by_key.items()
        if (n := model_slots(endpoint)) is not None
    }
    return {label: slots[key] for label, key in pool.key_of.items() if key in slots}


def model_slots(endpoint: LLMEndpoint) -> int | None:
    """Requests `endpoint` decodes at once, when known (None: ask no limit)."""
    if endpoint.traits.one_request_at_a_time:
        return 1
    return endpoint.slots


def _default_opener(
    config: EvalConfig,
    settings: Settings,
    endpoints: Mapping[str, LLMEndpoint],
    http_transport: TransportFactory | None,
) -> PlannerOpener:
    specs: dict[str, PlannerSpec] = {spec.label: spec for spec in config.planners}

    def make_transport(label: str, endpoint: LLMEndpoint) -> httpx.AsyncBaseTransport | None:
        inner = http_transport() if http_transport is not None else None
        if not config.cache_active:
            return inner
        # A local server listens on a new port per run: key its answers by the model it
        # serves, so that a rerun of an unchanged suite is answered from the cache.
        local = f"local {endpoint.server} {endpoint.model}" if endpoint.local else None
        return CachingTransport(
            inner or httpx.AsyncHTTPTransport(), config.cache_dir, namespace=label, endpoint=local
        )

    def opener(label: str) -> AbstractAsyncContextManager[Planner]:
        endpoint = endpoints.get(label)
        transport = make_transport(label, endpoint) if endpoint is not None else None
        return open_spec_planner(specs[label], settings, endpoint=endpoint, transport=transport)

    return opener
