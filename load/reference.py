"""What a `gold` load run compares with: its cases, and their unloaded accuracy.

`GoldReference.prepare` reads the cases and, for `--unloaded DIR`, the eval run's rows,
before anything starts (a bad file is a user's mistake, exit 2); `write` makes the
unloaded pass through the service when asked (`--unloaded pass`) and writes the rows the
locust process compares with (`unloaded.jsonl`). The runner imports this module only
for the `gold` scenario: it brings in the eval package.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from crane_bench.evals.cases import Case
from crane_bench.evals.results import TrialResult
from crane_bench.load.config import LoadConfig
from crane_bench.load.gold import eval_reference, read_cases, write_rows
from crane_bench.load.unloaded import unloaded_pass

Say = Callable[[str], None]


@dataclass
class GoldReference:
    """The cases of a `gold` run and the unloaded rows it is compared with."""

    config: LoadConfig
    cases: list[Case]
    rows: list[TrialResult] = field(default_factory=list)

    @classmethod
    def prepare(cls, config: LoadConfig) -> GoldReference:
        """Read the cases and an eval run to compare with.

        Raises:
            LoadConfigError: A case file or the eval run is missing or malformed, or the
                eval run has no rows of a planner label.
        """
        cases = read_cases(config.cases)
        rows = []
        if isinstance(config.unloaded, Path):
            rows = eval_reference(config.unloaded, config.planners)
        return cls(config, cases, rows)

    def write(self, client: httpx.Client, host: str, path: Path, say: Say) -> None:
        """Make the unloaded pass if asked, and write the reference rows to `path`.

        Raises:
            LoadConfigError: The service refused a run of the pass (a label it lacks).
            UnloadedPassError: The service failed a run of the pass.
        """
        if self.config.unloaded == "pass":
            self.rows = self._pass(client, host, say)
        if self.rows:
            write_rows(path, self.rows)

    def _pass(self, client: httpx.Client, host: str, say: Say) -> list[TrialResult]:
        runs = len(self.cases) * max(1, len(self.config.planners))
        say(f"unloaded pass: {runs} runs, one at a time")
        every = max(1, runs // 10)

        def told(done: int, total: int) -> None:
            if done % every == 0 or done == total:
                say(f"unloaded pass: {done}/{total}")

        began = time.perf_counter()
        rows = unloaded_pass(
            client,
            host,
            self.cases,
            self.config.planners,
            timeout_s=self.config.run_timeout_s,
            progress=told,
        )
        say(f"unloaded pass done in {time.perf_counter() - began:.1f} s")
        return rows
