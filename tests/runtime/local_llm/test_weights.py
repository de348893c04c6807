"""Serving SmolLM2 re-encoded as Q8_0: made once with llama.cpp, cached, recorded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crane_bench.runtime.errors import ConfigError
from crane_bench.runtime.local_llm import CATALOG, reencoded_weights, resolve_model

pytestmark = pytest.mark.integration

# llama.cpp's `general.file_type` values (enum llama_ftype).
MOSTLY_Q4_1 = 3
MOSTLY_Q8_0 = 7


def file_type(path: Path) -> int:
    """The `general.file_type` llama.cpp reads from `path` (in a child: its log is noisy)."""
    code = (
        "import sys, llama_cpp; "
        "m = llama_cpp.Llama(sys.argv[1], verbose=False, n_ctx=256); "
        "print(m.metadata['general.file_type'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    return int(done.stdout.strip().splitlines()[-1])


def test_smollm2_is_served_as_q8_0_made_once_from_the_shipped_file(tmp_path: Path) -> None:
    shipped = resolve_model("smollm2-135m", weights="shipped")

    first = resolve_model("smollm2-135m", weights="q8_0", weights_dir=tmp_path)
    made = first.path.stat().st_mtime_ns
    again = resolve_model("smollm2-135m", weights="q8_0", weights_dir=tmp_path)

    assert CATALOG["smollm2-135m"].reencode == "q8_0"
    assert shipped.reencoded_from is None
    assert first.reencoded_from == shipped.path
    assert first.path.parent == tmp_path
    assert (first.name, first.kind) == (shipped.name, shipped.kind)
    assert again.path == first.path
    assert again.path.stat().st_mtime_ns == made  # read from the cache, not made again
    assert file_type(shipped.path) == MOSTLY_Q4_1
    assert file_type(first.path) == MOSTLY_Q8_0
    assert list(tmp_path.glob("*.partial")) == []


def test_a_model_given_by_path_is_served_as_given(tmp_path: Path) -> None:
    shipped = resolve_model("smollm2-135m", weights="shipped").path

    given = resolve_model(str(shipped), weights="q8_0", weights_dir=tmp_path)

    assert given.path == shipped.resolve()
    assert given.reencoded_from is None
    assert list(tmp_path.iterdir()) == []


def test_a_failed_re_encoding_is_one_line_and_leaves_no_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 64)  # the magic, then no valid header
    cache = tmp_path / "cache"

    with pytest.raises(ConfigError) as info:
        reencoded_weights(broken, "q8_0", cache)

    message = str(info.value)
    assert message.startswith("could not re-encode broken.gguf as q8_0: ")
    assert "LOCAL_WEIGHTS=shipped" in message
    assert "\n" not in message
    assert list(cache.iterdir()) == []


def test_an_unwritable_weights_dir_names_the_setting(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    shipped = resolve_model("smollm2-135m", weights="shipped").path

    with pytest.raises(ConfigError, match=r"^LOCAL_WEIGHTS_DIR: cannot create "):
        reencoded_weights(shipped, "q8_0", blocker / "models")
