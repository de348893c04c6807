"""Serving a catalog model's weights in the llama.cpp format its CPU kernels run fastest.

SmolLM2 ships as Q4_1 (4-bit blocks with a scale and a minimum). llama.cpp's CPU matrix
kernels for prompt processing are much faster on Q8_0 blocks than on Q4_1 ones (the
llamafile tiled GEMM takes Q8_0, not Q4_1): measured with `llama_cpp.Llama` on a quiet
2-core machine, 230 prompt tokens took 635-669 ms as Q4_1 and 382-405 ms as Q8_0, and
generation ran at the same speed. Prompt processing is most of a planner call.

Re-encoding Q4_1 into Q8_0 keeps the shipped weights: every Q4_1 value is re-written with
8-bit steps, at most half a step (1/254 of a block's largest magnitude) from the shipped
value; it adds no information and loses almost none. It is done once per machine with
llama.cpp's own `llama_model_quantize` (in a subprocess, so its log and any crash stay
out of this process) and cached; the run spec records the served file and its sha256, so
results from the shipped and the re-encoded file are never mixed up.

`LOCAL_WEIGHTS=shipped` (the default) serves the file as shipped: Q8_0 changes a few
greedy answers, and one of them fails a gold gate (docs/configuration.md). A model given
by path is always served as given.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Final, Literal

from crane_bench.runtime.errors import ConfigError

ReencodeFormat = Literal["q8_0"]
"""llama.cpp file types a catalog model may be re-encoded into before serving."""

GGUF_MAGIC: Final = b"GGUF"
"""The bytes every `.gguf` file opens with."""
_REENCODE_TIMEOUT_S: Final = 600.0


def default_weights_dir() -> Path:
    """`$XDG_CACHE_HOME/crane-bench/models`, or `~/.cache/crane-bench/models`."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "crane-bench" / "models"


def reencoded_path(source: Path, fmt: ReencodeFormat, directory: Path) -> Path:
    """Where the re-encoded copy of `source` lives; its size names the shipped file."""
    return directory / f"{source.stem}.{source.stat().st_size}.{fmt}.gguf"


def reencoded_weights(source: Path, fmt: ReencodeFormat, directory: Path | None) -> Path:
    """The re-encoded copy of `source`, made first if it is not there yet.

    Args:
        source: The shipped `.gguf` file.
        fmt: The llama.cpp file type to re-encode into.
        directory: Where copies are kept; None: `default_weights_dir()`.

    Raises:
        ConfigError: The copy cannot be written, or llama.cpp failed to make it.
    """
    directory = directory if directory is not None else default_weights_dir()
    target = reencoded_path(source, fmt, directory)
    if _is_gguf(target):
        return target
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"LOCAL_WEIGHTS_DIR: cannot create {directory}: {exc.strerror} "
            "(or set LOCAL_WEIGHTS=shipped)"
        ) from None
    # Written under a private name and renamed: two processes re-encoding at once, or one
    # killed half-way, never leave a truncated file under the final name.
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    try:
        done = subprocess.run(  # noqa: S603 - our own module, on paths we resolved
            [sys.executable, "-m", __name__, str(source), str(partial), fmt],
            capture_output=True,
            text=True,
            timeout=_REENCODE_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0 or not _is_gguf(partial):
            lines = (done.stderr or done.stdout).strip().splitlines()
            why = lines[-1] if lines else f"exit status {done.returncode}"
            raise ConfigError(
                f"could not re-encode {source.name} as {fmt}: {why} (LOCAL_WEIGHTS=shipped "
                "serves the file as shipped)"
            )
        partial.replace(target)
    except subprocess.TimeoutExpired:
        raise ConfigError(f"re-encoding {source.name} as {fmt} took over 600 s") from None
    except OSError as exc:
        raise ConfigError(f"could not write {target}: {exc.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)
    return target


def opens_as_gguf(path: Path) -> bool:
    """True when `path` opens with GGUF's magic bytes.

    Raises:
        OSError: The file cannot be read.
    """
    with path.open("rb") as weights:
        return weights.read(len(GGUF_MAGIC)) == GGUF_MAGIC


def _is_gguf(path: Path) -> bool:
    try:
        return opens_as_gguf(path)
    except OSError:
        return False


def _reencode(source: str, target: str, fmt: ReencodeFormat) -> int:
    """Write `source` re-encoded as `fmt` to `target` with llama.cpp; 0 on success."""
    # Imported here: llama_cpp loads llama.cpp's shared library, wanted only in this child.
    import ctypes  # noqa: PLC0415

    import llama_cpp  # noqa: PLC0415

    file_types: dict[ReencodeFormat, int] = {"q8_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0}
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = file_types[fmt]
    # The source is already quantised: llama.cpp refuses to re-quantise unless told to.
    params.allow_requantize = True
    params.nthread = os.cpu_count() or 1
    return int(
        llama_cpp.llama_model_quantize(source.encode(), target.encode(), ctypes.byref(params))
    )


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[3] not in ("q8_0",):
        sys.exit("usage: python -m crane_bench.runtime.local_llm.weights SOURCE TARGET q8_0")
    status = _reencode(sys.argv[1], sys.argv[2], "q8_0")
    if status != 0:
        sys.exit(f"llama_model_quantize returned {status}")
