"""What an eval run is asked to do (`EvalConfig`), and the record of it (`EvalSpec`).

The spec is `{name, args}`: everything needed to run the same evaluation again (planners,
case files with their sha256, repeats, the settings that shape the planners), written to
the run directory before the first trial so that `--resume` can finish the run as it was
started. Secrets never enter it: `SecretStr` settings are left out, and URLs lose any
user info and query string.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Final, get_args
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, JsonValue, SecretStr, field_validator

from crane_bench.evals.cases import case_files
from crane_bench.evals.perturbations import DEFAULT_SEED
from crane_bench.runtime.errors import ConfigError
from crane_bench.runtime.local_llm import DEFAULT_BASE_URL, settings_model
from crane_bench.runtime.planners.specs import PlannerSpec, parse_spec
from crane_bench.runtime.settings import PlannerName, Settings

PLANNER_NAMES: Final[tuple[str, ...]] = get_args(PlannerName)
EVALS_DIR: Final = Path(__file__).resolve().parent
DEFAULT_CASES: Final = EVALS_DIR / "cases"
DEFAULT_GATES: Final = EVALS_DIR / "gates.yaml"
DEFAULT_CACHE_DIR: Final = Path(".cache/llm")
SPEC_NAME: Final = "crane-bench eval"
_CASE_TIMEOUT_SLACK_S: Final = 15.0
"""Time a trial leaves after an LLM planner's deadline: executing the plan, scoring."""
DEFAULT_ORDER_SEED: Final = 0


class EvalConfig(BaseModel):
    """Options of one eval run (the CLI's flags, grouped)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    planners: tuple[PlannerSpec, ...] = tuple(
        parse_spec(name) for name in ("pattern", "llm", "hybrid")
    )
    """Planner specs (`runtime.planners.specs`); strings are parsed."""
    case_paths: tuple[Path, ...] = (DEFAULT_CASES,)
    """Case files, or directories of them."""
    repeats: int = Field(1, ge=1, le=10_000)
    concurrency: int = Field(4, ge=1, le=256)
    """Trials in flight at once, over all planners."""
    case_timeout_s: float = Field(60.0, gt=0)
    """Timeout of one trial: planning, validation and execution."""
    use_cache: bool = True
    """Answer repeated model requests from `cache_dir`; off with repeats > 1 regardless."""
    cache_dir: Path = DEFAULT_CACHE_DIR
    gates_path: Path = DEFAULT_GATES
    baseline_path: Path | None = None
    """A baseline run's summary.json (or its run directory)."""
    perturbations: tuple[str, ...] = ()
    """Perturbations (`--perturb`) whose variants run beside the cases; none by default."""
    perturb_seed: int = DEFAULT_SEED
    """Seed of the perturbations' random choices."""
    transcripts: bool = True
    """Write each trial's transcript to `transcripts.jsonl` (off for huge runs)."""
    stop_when_decided: bool = False
    """Run the cases in a seeded random order and stop each planner once every gate that
    reads it is decided by the sequential tests (`evals.sequential`)."""
    order_seed: int = DEFAULT_ORDER_SEED
    """Seed of the case order with `stop_when_decided`."""

    @field_validator("planners", mode="before")
    @classmethod
    def _parse_specs(cls, value: object) -> object:
        if isinstance(value, (list, tuple)):
            return tuple(parse_spec(item) if isinstance(item, str) else item for item in value)
        return value

    @property
    def labels(self) -> tuple[str, ...]:
        """The planners' labels, in order: what every result keys on."""
        return tuple(spec.label for spec in self.planners)

    @property
    def cache_active(self) -> bool:
        """True when model responses are read from and written to the cache."""
        return self.use_cache and self.repeats == 1


class CaseFileRef(BaseModel):
    """A case file the run read, and the sha256 of its bytes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    sha256: str


class SpecRecord(BaseModel):
    """What one label ran: its spec, and for a local model the file and its sha256."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    label: str
    spec: str
    """The spec as written (`runtime.planners.specs`)."""
    planner: str
    """pattern, llm, hybrid, or user."""
    params: dict[str, JsonValue] = Field(default_factory=dict)
    target: str | None = None
    """`module:attr` of a user planner."""
    model: str | None = None
    """The model the planner calls (local catalog name or path, or the hosted name)."""
    base_url: str | None = None
    """A hosted endpoint's URL (redacted); None for a local model."""
    model_file: str | None = None
    model_sha256: str | None = None


class EvalArgs(BaseModel):
    """The arguments of a run, enough to repeat it."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    planners: list[str]
    """Planner specs as written; their labels key the results."""
    planner_specs: list[SpecRecord] = Field(default_factory=list)
    case_files: list[CaseFileRef]
    repeats: int
    concurrency: int
    case_timeout_s: float
    cache: bool
    """Whether the response cache was used."""
    gates: str
    baseline: str | None = None
    settings: dict[str, JsonValue]
    """Runtime settings, secrets left out."""
    perturbations: list[str] = Field(default_factory=list)
    """Perturbations whose variants ran beside the cases (absent in older specs: none)."""
    perturb_seed: int = DEFAULT_SEED
    transcripts: bool = False
    """Whether trials' transcripts are written; older specs lack it (and were not), so a
    resumed old run writes none rather than a file that covers only part of it."""
    stop_when_decided: bool = False
    """Cases in a seeded order, each planner stopped once its gates are decided."""
    order_seed: int = DEFAULT_ORDER_SEED
    """Seed of that order."""


class EvalSpec(BaseModel):
    """What was run, as `{name, args}`."""

    model_config = ConfigDict(extra="forbid")

    name: str = SPEC_NAME
    args: EvalArgs


def default_case_timeout(planners: tuple[PlannerSpec, ...], settings: Settings) -> float:
    """`EvalConfig.case_timeout_s`'s default, or more when an LLM planner's deadline is longer.

    An LLM planner ends a plan within its deadline (`Settings.llm_plan_deadline_s`:
    `LLM_PLAN_TIMEOUT_S`, or one call's timeout x attempts plus backoff), however many
    calls it makes, and the hybrid then falls back to the rules. The case timeout leaves
    room for that and for executing the plan, so a slow model ends as the planner's own
    `timeout` (and the hybrid's fallback), never as the trial's.
    """
    deadlines = [
        spec.settings_for(settings).llm_plan_deadline_s for spec in planners if spec.needs_llm
    ]
    floor: float = EvalConfig.model_fields["case_timeout_s"].default
    return max([floor, *(deadline + _CASE_TIMEOUT_SLACK_S for deadline in deadlines)])


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes (read in chunks: model files are large)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def redact_url(url: str) -> str:
    """`url` without user info, query string or fragment, where a credential could hide."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def settings_snapshot(settings: Settings) -> dict[str, JsonValue]:
    """Every setting except secrets, as JSON values; URLs redacted."""
    snapshot: dict[str, JsonValue] = {}
    for name, field in type(settings).model_fields.items():
        if field.exclude:  # deprecated names, already translated
            continue
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            continue
        if name.endswith("_url") and isinstance(value, str):
            value = redact_url(value)
        snapshot[name] = value
    snapshot["openai_api_key_set"] = settings.openai_api_key is not None
    return snapshot


def spec_record(spec: PlannerSpec, settings: Settings, hashes: dict[Path, str]) -> SpecRecord:
    """The record of one planner spec; a local model is resolved and its file hashed.

    Raises:
        ConfigError: The local model is not a catalog name or an existing file.
    """
    record = SpecRecord(
        label=spec.label,
        spec=spec.text,
        planner=spec.kind,
        params=spec.params.model_dump(mode="json", exclude_none=True),
        target=spec.target,
    )
    if not spec.needs_llm:
        return record
    own = spec.settings_for(settings)
    if not own.uses_local_model():
        url = redact_url(own.openai_base_url or DEFAULT_BASE_URL)
        return record.model_copy(update={"model": own.llm_model, "base_url": url})
    path = settings_model(own).path
    if path not in hashes:
        hashes[path] = file_sha256(path)
    return record.model_copy(
        update={"model": own.local_model, "model_file": str(path), "model_sha256": hashes[path]}
    )


def build_spec(config: EvalConfig, settings: Settings) -> EvalSpec:
    """The spec of a run of `config`; reads and hashes the case files and local models."""
    files = case_files(list(config.case_paths))
    hashes: dict[Path, str] = {}
    return EvalSpec(
        args=EvalArgs(
            planners=[spec.text for spec in config.planners],
            planner_specs=[spec_record(spec, settings, hashes) for spec in config.planners],
            case_files=[CaseFileRef(path=str(path), sha256=file_sha256(path)) for path in files],
            repeats=config.repeats,
            concurrency=config.concurrency,
            case_timeout_s=config.case_timeout_s,
            cache=config.cache_active,
            gates=str(config.gates_path),
            baseline=str(config.baseline_path) if config.baseline_path else None,
            settings=settings_snapshot(settings),
            perturbations=list(config.perturbations),
            perturb_seed=config.perturb_seed,
            transcripts=config.transcripts,
            stop_when_decided=config.stop_when_decided,
            order_seed=config.order_seed,
        )
    )


def check_unchanged(spec: EvalSpec) -> None:
    """Refuse to resume a run whose case files changed since it started.

    Raises:
        ConfigError: A case file is gone or its content changed.
    """
    for ref in spec.args.case_files:
        path = Path(ref.path)
        if not path.is_file():
            raise ConfigError(f"cannot resume: case file {path} is gone")
        if file_sha256(path) != ref.sha256:
            raise ConfigError(f"cannot resume: case file {path} changed since the run started")


def config_for_resume(spec: EvalSpec, **overrides: object) -> EvalConfig:
    """The config of a run being resumed: its planners, case files and repeats.

    Args:
        spec: The spec the run recorded when it started.
        **overrides: Other `EvalConfig` fields (concurrency, timeout, cache, gates).
    """
    args = spec.args
    values: dict[str, object] = {
        "planners": tuple(args.planners),
        "case_paths": tuple(Path(ref.path) for ref in args.case_files),
        "repeats": args.repeats,
        "case_timeout_s": args.case_timeout_s,
        "gates_path": Path(args.gates),
        "baseline_path": Path(args.baseline) if args.baseline else None,
        "perturbations": tuple(args.perturbations),
        "perturb_seed": args.perturb_seed,
        "transcripts": args.transcripts,
        "stop_when_decided": args.stop_when_decided,
        "order_seed": args.order_seed,
        **overrides,
    }
    return EvalConfig.model_validate(values)
