"""Crane Bench's locust plugin: custom arguments, the per-run recorder, and the gates.

Every scenario file imports this module, which registers two listeners on locust's
`events` (its documented way to add arguments and set-up). Everything else hangs off
the `Environment` of the run: `attach` builds one `LoadContext` (options, recorder,
prompt seeds) per environment when locust fires `init`, and registers its methods as
that environment's listeners. No module-level state is mutated, so two environments
(library mode, tests) never share counts.

In a distributed run the workers record requests and drain them into each report to
the master (`report_to_master`); the master merges them (`worker_report`), samples
the user count, and alone evaluates the gates when it quits.

Each process also watches for a host that stopped answering (`host_watch`): a few
requests in a row with no answer at all send `GONE_MESSAGE` to the master (a local
runner handles it itself), which quits the run; the result says when, and the gate
`host_answered` fails.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gevent
from locust import events
from locust.env import Environment
from locust.rpc import Message
from locust.runners import WorkerRunner

from crane_bench.load.config import DEFAULT_CASES, DEFAULT_SLO, parse_labels
from crane_bench.load.history import HistoryRecorder, write_history
from crane_bench.load.host_watch import (
    GONE_MESSAGE,
    MAX_UNANSWERED,
    HostGone,
    HostWatch,
    host_check,
)
from crane_bench.load.prompts import PromptPool
from crane_bench.load.quality_models import QualityReport
from crane_bench.load.shapes import Stage, plan_of, stage_index
from crane_bench.load.slo import SloConfig, evaluate, load_slo
from crane_bench.load.stats import rate_report, request_stats
from crane_bench.load.summary import LoadResult, read_summary
from crane_bench.plumbing.gates import GateReport
from crane_bench.plumbing.run_files import write_atomically

if TYPE_CHECKING:
    from crane_bench.evals.cases import Case
    from crane_bench.evals.metrics import PlannerMetrics
    from crane_bench.load.gold import CaseDeck
    from crane_bench.load.quality import QualityRow

# _gold_imports: the gold scenario's scoring (the eval package, pandas, statsmodels) is
# imported where it is used, so the other scenarios' locust processes start as fast as
# before; a worker that starts slowly joins after the run's clock has begun.
logger = logging.getLogger("crane.load")
CONTEXT_ATTR = "crane_load"
QUALITY_ATTR = "crane_quality"
USER_SAMPLE_S = 0.25  # how often the master samples the user count
DEFAULT_RUN_TIME_S = 60.0


def add_arguments(parser: Any) -> None:
    """Register the `--crane-*` options (they are sent on to workers by the master)."""
    add = parser.add_argument
    add("--crane-rate", type=float, default=0.0, help="Open workload: arrivals/s at full users.")
    add(
        "--crane-rate-users",
        type=int,
        default=0,
        help="Users the rate is split over (default: -u); workers get it from the master.",
    )
    add("--crane-seed", type=int, default=0, help="Seed of the prompt draws.")
    add(
        "--crane-failing-share",
        type=float,
        default=0.05,
        help="Share of run prompts meant to fail (they pass when the run fails).",
    )
    add(
        "--crane-planner",
        default="",
        help="Planner label each run asks for ('' = service default), or a JSON list of "
        'labels asked for in turn (\'["pattern", "hybrid"]\').',
    )
    add("--crane-cases", default="", help="gold: case files or directories, os.pathsep-separated.")
    add("--crane-unloaded", default="", help="gold: eval rows (JSONL) to compare accuracy with.")
    add("--crane-unloaded-source", default="", help="gold: where those rows came from.")
    add("--crane-quality", default="", help="gold: write the scored runs (JSONL) here.")
    add("--crane-poll-interval", type=float, default=0.01, help="First wait between polls (s).")
    add("--crane-run-timeout", type=float, default=60.0, help="A run not done by then fails (s).")
    add(
        "--crane-max-unanswered",
        type=int,
        default=MAX_UNANSWERED,
        help="Requests in a row with no answer at all (refused, reset, timed out) that stop "
        "the load: the host is gone (0: never stop).",
    )
    add("--crane-slo", default=str(DEFAULT_SLO), help="SLO gates file ('' = built-in defaults).")
    add("--crane-baseline", default="", help="A load_summary.json to compare with.")
    add("--crane-result", default="", help="Write the result (stats, rate, gates) here.")
    add("--crane-history", default="", help="Write the per-second history CSV here.")


def on_init(environment: Environment, **_kwargs: Any) -> None:
    """Give the run its context and listeners, and bring gevent's clock up to date."""
    # The hub's clock is cached and advances only when the loop runs; importing the
    # locust files (the gold scenario loads the eval's scorer) blocks it for seconds, and
    # locust then sets its --run-time timer from the stale clock: the run would end early.
    gevent.get_hub().loop.update_now()
    attach(environment)


# locust's event hooks are untyped; these two are its documented extension points.
_global_events: Any = events
_global_events.init_command_line_parser.add_listener(add_arguments)
_global_events.init.add_listener(on_init)


def attach(environment: Environment) -> LoadContext:
    """Build the environment's `LoadContext` and register its listeners (once)."""
    existing = getattr(environment, CONTEXT_ATTR, None)
    if isinstance(existing, LoadContext):
        return existing
    context = LoadContext(environment)
    setattr(environment, CONTEXT_ATTR, context)
    hooks: Any = environment.events
    hooks.request.add_listener(context.on_request)
    hooks.test_start.add_listener(context.on_test_start)
    hooks.test_stop.add_listener(context.on_test_stop)
    hooks.report_to_master.add_listener(context.on_report_to_master)
    hooks.worker_report.add_listener(context.on_worker_report)
    hooks.quitting.add_listener(context.on_quitting)
    options = environment.parsed_options
    master_or_local = not isinstance(environment.runner, WorkerRunner)
    if environment.runner is not None and master_or_local:
        environment.runner.register_message(GONE_MESSAGE, context.on_host_gone)
    if options is not None and master_or_local and options.crane_rate_users <= 0:
        # Workers do not get -u from the master, only custom options: pass the split on.
        options.crane_rate_users = options.num_users or 1
    return context


def context_of(environment: Environment) -> LoadContext:
    """The run's context (attached on `init`)."""
    context = getattr(environment, CONTEXT_ATTR, None)
    return context if isinstance(context, LoadContext) else attach(environment)


class LoadContext:
    """One run's recorder, prompt seeds and options, read from the parsed options."""

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self.recorder = HistoryRecorder()
        self.peak_users = 0
        self.started: float | None = None
        self.stopped: float | None = None
        self._seeds = itertools.count()
        self._sampler: gevent.Greenlet | None = None
        self.quality: list[QualityRow] = []
        self._cases: list[Case] | None = None
        self._stages: list[Stage] | None = None
        self.watch = HostWatch()
        self.host_gone: HostGone | None = None
        """Master or local: when the host stopped answering (from whichever process saw it)."""

    def option(self, name: str, default: Any) -> Any:
        """A `--crane-*` option (read late: workers receive them with the first spawn)."""
        options = self.environment.parsed_options
        return getattr(options, name, default) if options is not None else default

    def prompt_pool(self) -> PromptPool:
        """A prompt pool for one new user, seeded by run seed, worker and user number."""
        worker = getattr(self.environment.runner, "worker_index", 0)
        seed = f"{self.option('crane_seed', 0)}/{worker}/{next(self._seeds)}"
        return PromptPool(seed, failing_share=float(self.option("crane_failing_share", 0.05)))

    def planners(self) -> list[str]:
        """The planner labels runs ask for in turn (empty: the service's default)."""
        return parse_labels(str(self.option("crane_planner", "")))

    def case_deck(self) -> CaseDeck:
        """A deck of the gold cases for one new user, seeded like its prompt pool."""
        from crane_bench.load.gold import CaseDeck, read_cases  # noqa: PLC0415 - see _gold_imports

        if self._cases is None:
            given = str(self.option("crane_cases", ""))
            paths = [Path(p) for p in given.split(os.pathsep) if p] or [DEFAULT_CASES]
            self._cases = read_cases(paths)
        worker = getattr(self.environment.runner, "worker_index", 0)
        return CaseDeck(self._cases, f"{self.option('crane_seed', 0)}/{worker}/{next(self._seeds)}")

    def stage_now(self) -> tuple[int, int]:
        """(0-based stage of the load shape, its users) at this moment of the run."""
        if self._stages is None:
            self._stages = plan_of(self.environment.parsed_options, DEFAULT_RUN_TIME_S)
        elapsed = time.time() - (self.started or time.time())
        index = stage_index(self._stages, elapsed)
        return index, self._stages[index].users

    def scored(self, row: QualityRow) -> None:
        """Keep one scored gold run (sent to the master with the next report on a worker)."""
        self.quality.append(row)

    def per_user_rate(self) -> float | None:
        """Arrivals/s each user paces to; None in a closed workload."""
        rate = float(self.option("crane_rate", 0.0))
        if rate <= 0:
            return None
        users = int(self.option("crane_rate_users", 0)) or int(self.option("num_users", 1) or 1)
        return rate / users

    # Listeners.

    def on_request(
        self,
        request_type: str,
        response_time: float | None,
        exception: BaseException | None = None,
        *,
        context: dict[str, Any] | None = None,
        response: Any = None,
        start_time: float | None = None,
        **_kwargs: Any,
    ) -> None:
        """Count a request (and an arrival, when the task marked its first request).

        An HTTP request (one with a response; a `RUN` has none) also goes to the host
        watch; the one that makes the host count as gone tells the master.
        """
        second = int(time.time())
        self.recorder.request(second, request_type, response_time, exception is not None)
        if context and context.get("arrival"):
            self.recorder.arrival(second)
        if response is not None:
            gone = self.watch.saw(response, start_time or time.time())
            if gone is not None and self.environment.runner is not None:
                self.environment.runner.send_message(GONE_MESSAGE, gone.model_dump(mode="json"))

    def on_host_gone(self, environment: Environment, msg: Message, **_kwargs: Any) -> None:
        """Master or local: a process saw the host go; keep when (the first), and quit."""
        if self.host_gone is not None or environment.runner is None:
            return
        gone = HostGone.model_validate(msg.data)
        after_s = gone.at.timestamp() - self.started if self.started is not None else None
        self.host_gone = gone.model_copy(update={"after_s": after_s})
        logger.error("crane: %s", self.host_gone.describe(environment.host or "the host"))
        # Not from this greenlet: quitting stops the users, and this may be one of them.
        gevent.spawn(environment.runner.quit)

    def on_report_to_master(self, client_id: str, data: dict[str, Any]) -> None:
        """Worker: send the buckets and scored runs recorded since the last report."""
        data[CONTEXT_ATTR] = self.recorder.drain()
        rows, self.quality = self.quality, []
        data[QUALITY_ATTR] = [row.model_dump(mode="json") for row in rows]

    def on_worker_report(self, client_id: str, data: dict[str, Any]) -> None:
        """Master: merge a worker's buckets and scored runs."""
        if CONTEXT_ATTR in data:
            self.recorder.merge(data[CONTEXT_ATTR])
        if rows := data.get(QUALITY_ATTR):
            from crane_bench.load.quality import QualityRow  # noqa: PLC0415 - see _gold_imports

            self.quality += [QualityRow.model_validate(row) for row in rows]

    def on_test_start(self, environment: Environment, **_kwargs: Any) -> None:
        """Start the clock and, outside workers, the user-count sampler."""
        self.recorder = HistoryRecorder()
        self.quality = []
        self.started, self.stopped, self.peak_users = time.time(), None, 0
        self.watch = HostWatch(int(self.option("crane_max_unanswered", MAX_UNANSWERED)))
        self.host_gone = None
        if not isinstance(environment.runner, WorkerRunner):
            self._sampler = gevent.spawn(self._sample_users)
            self._record_users()

    def on_test_stop(self, environment: Environment, **_kwargs: Any) -> None:
        """Stop the clock and the sampler."""
        self.stopped = time.time()
        if self._sampler is not None:
            self._sampler.kill(block=False)
            self._sampler = None
            self._record_users()

    def _record_users(self) -> None:
        runner = self.environment.runner
        count = int(runner.user_count) if runner is not None else 0
        self.peak_users = max(self.peak_users, count)
        self.recorder.users(time.time(), count)

    def _sample_users(self) -> None:
        while True:
            gevent.sleep(USER_SAMPLE_S)
            self._record_users()

    def on_quitting(self, environment: Environment, **_kwargs: Any) -> None:
        """Evaluate the gates, write the result and history, and set the exit code."""
        if isinstance(environment.runner, WorkerRunner):
            environment.process_exit_code = 0  # the master decides
            return
        try:
            result = self.result(environment)
            if path := self.option("crane_history", ""):
                write_history(self.recorder.rows(), Path(path))
            if (path := self.option("crane_quality", "")) and self.quality:
                from crane_bench.load.gold import write_rows  # noqa: PLC0415 - see _gold_imports

                write_rows(Path(path), self.quality)
            if path := self.option("crane_result", ""):
                write_atomically(Path(path), result.model_dump_json(indent=2))
        except Exception:
            # Exit 2 and the traceback in the log; the runner reports the missing result.
            logger.exception("crane: could not evaluate or write the load run")
            environment.process_exit_code = 2
            return
        for check in result.gates.checks:
            logger.log(logging.ERROR if check.failed else logging.INFO, check.message)
        environment.process_exit_code = 0 if result.gates.passed else 1

    def result(self, environment: Environment) -> LoadResult:
        """Stats, arrival rate and gates of the run so far."""
        now = time.time()
        started = self.started or now
        stopped = self.stopped or now
        duration = max(stopped - started, 1e-9)
        stats = environment.stats
        requests = request_stats(
            [entry.serialize() for entry in stats.entries.values()],
            [error.serialize() for error in stats.errors.values()],
            duration,
            self.planners(),
        )
        rate = rate_report(
            arrivals=self.recorder.arrivals_total,
            duration_s=duration,
            target_per_s=float(self.option("crane_rate", 0.0)) or None,
            per_user_rate=self.per_user_rate(),
            user_seconds=self.recorder.user_seconds(until=stopped),
        )
        slo_path = str(self.option("crane_slo", ""))
        scored = bool(self.quality)  # else the quality checks are never evaluated
        slo = load_slo(Path(slo_path), quality_checks=scored) if slo_path else SloConfig()
        baseline_path = str(self.option("crane_baseline", ""))
        baseline = read_summary(Path(baseline_path)).requests if baseline_path else None
        quality = self.quality_report(slo)
        gates = evaluate(
            requests,
            rate,
            slo,
            baseline,
            unfinished_runs=self.recorder.unfinished_runs,
            quality=quality,
            quality_metrics=self.quality_metrics() if quality is not None else None,
        )
        host = host_check(self.host_gone, environment.host or "the host")
        return LoadResult(
            scenario=Path(environment.locustfile or "locustfile").stem,
            started_at=datetime.fromtimestamp(started, UTC),
            ended_at=datetime.fromtimestamp(stopped, UTC),
            peak_users=self.peak_users,
            unfinished_runs=self.recorder.unfinished_runs,
            requests=requests,
            rate=rate,
            quality=quality,
            host_gone=self.host_gone,
            gates=GateReport.of([*gates.checks, host]),
        )

    def quality_metrics(self) -> dict[str, PlannerMetrics]:
        """The eval's metrics of the scored runs by planner label, for the quality checks."""
        from crane_bench.load.quality import quality_metrics  # noqa: PLC0415 - see _gold_imports

        return quality_metrics(self.quality)

    def quality_report(self, slo: SloConfig) -> QualityReport | None:
        """Accuracy under load of the scored runs; None when no run was scored."""
        if not self.quality:
            return None
        from crane_bench.load.gold import read_trials  # noqa: PLC0415 - see _gold_imports
        from crane_bench.load.quality import quality_report  # noqa: PLC0415

        unloaded = str(self.option("crane_unloaded", ""))
        return quality_report(
            self.quality,
            read_trials(Path(unloaded)) if unloaded else (),
            unloaded_source=str(self.option("crane_unloaded_source", "")) or "none",
            alpha=slo.quality.alpha,
        )
