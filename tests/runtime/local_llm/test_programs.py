"""Which program serves the local model, and its command line (unit)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crane_bench.runtime.errors import ConfigError
from crane_bench.runtime.local_llm import LocalServerConfig, resolve_model
from crane_bench.runtime.local_llm.programs import (
    find_llama_server,
    ready_path,
    resolve_program,
    server_command,
)


def executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def no_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty directory to look beside, and nothing on PATH."""
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    empty = tmp_path / "bin"
    empty.mkdir()
    return empty


def test_llama_cpp_python_is_taken_when_asked_for(no_path: Path) -> None:
    assert resolve_program("llama-cpp-python", None, beside=no_path) == ("llama-cpp-python", None)


def test_auto_takes_llama_server_beside_the_interpreter(no_path: Path) -> None:
    binary = executable(no_path / "llama-server")
    assert resolve_program("auto", None, beside=no_path) == ("llama-server", binary)


def test_auto_falls_back_to_llama_cpp_python_without_a_binary(no_path: Path) -> None:
    assert resolve_program("auto", None, beside=no_path) == ("llama-cpp-python", None)


def test_llama_server_asked_for_and_missing_is_one_clear_error(no_path: Path) -> None:
    with pytest.raises(ConfigError, match="make llama-server") as info:
        resolve_program("llama-server", None, beside=no_path)
    assert "\n" not in str(info.value)


def test_an_explicit_binary_must_be_executable(tmp_path: Path, no_path: Path) -> None:
    plain = tmp_path / "llama-server"
    plain.write_text("not executable")
    with pytest.raises(ConfigError, match="LOCAL_SERVER_BIN"):
        find_llama_server(str(plain), beside=no_path)
    assert find_llama_server(str(executable(plain)), beside=no_path) == plain


def test_llama_server_command_sizes_the_context_for_every_slot(tmp_path: Path) -> None:
    binary = executable(tmp_path / "llama-server")
    config = LocalServerConfig(threads=2, n_ctx=2048, parallel=3)
    model = resolve_model("smollm2-135m")
    command = server_command("llama-server", binary, model, config, host="127.0.0.1", port=9)
    assert command[0] == str(binary)
    assert command[command.index("--parallel") + 1] == "3"
    assert command[command.index("--ctx-size") + 1] == str(2048 * 3)
    assert command[command.index("--cache-ram") + 1] == "0"  # no cross-planner prompt store
    assert "--kv-unified" in command
    assert command[command.index("--alias") + 1] == "smollm2-135m"
    assert ready_path("llama-server") == "/health"
    assert ready_path("llama-cpp-python") == "/v1/models"


def test_llama_cpp_python_command_is_the_python_module() -> None:
    config = LocalServerConfig(threads=2, n_ctx=2048)
    model = resolve_model("smollm2-135m")
    command = server_command("llama-cpp-python", None, model, config, host="127.0.0.1", port=9)
    assert command[1:3] == ["-m", "llama_cpp.server"]
    assert command[command.index("--n_ctx") + 1] == "2048"
