from __future__ import annotations

import sys
from pathlib import Path

import pytest

from crane_bench.runtime.errors import ConfigError
from crane_bench.runtime.local_llm import (
    CATALOG,
    AssembledParts,
    PackagedFile,
    list_models,
    resolve_model,
)


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_model("llama-70b")
    message = str(info.value)
    assert "llama-70b" in message
    for name in CATALOG:
        assert name in message


def test_missing_path_is_a_config_error(tmp_path: Path) -> None:
    missing = tmp_path / "absent.gguf"
    with pytest.raises(ConfigError, match="model file not found"):
        resolve_model(str(missing))


def test_existing_path_resolves_with_its_stem_as_name(tmp_path: Path) -> None:
    weights = tmp_path / "my-model.gguf"
    weights.write_bytes(b"GGUF")

    chat = resolve_model(str(weights))
    completion = resolve_model(str(weights), kind="completion")

    assert (chat.name, chat.kind, chat.path) == ("my-model", "chat", weights.resolve())
    assert completion.kind == "completion"


@pytest.mark.parametrize("content", [b"root:x:0:0:root:/root:/bin/bash\n", b"GG", b""])
def test_a_file_that_is_not_gguf_is_a_config_error(tmp_path: Path, content: bytes) -> None:
    passwd = tmp_path / "passwd"
    passwd.write_bytes(content)
    with pytest.raises(ConfigError, match=r"^not a GGUF model file: "):
        resolve_model(str(passwd))


def test_a_directory_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        resolve_model(f"{tmp_path}/")


def test_packaged_smollm2_resolves_to_its_file() -> None:
    model = resolve_model("smollm2-135m")

    assert model.kind == "chat"
    assert model.path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert model.path.stat().st_size == CATALOG["smollm2-135m"].size_bytes


def test_list_models_reports_each_catalog_entry() -> None:
    rows = {row.model.name: row for row in list_models()}

    assert set(rows) == set(CATALOG)
    smollm2 = rows["smollm2-135m"]
    assert smollm2.availability == "ready"
    assert smollm2.path is not None
    assert smollm2.size_bytes == 98_362_432
    # Installed with the project; the parts are joined on first use.
    assert rows["gemma3-270m"].availability in {"ready", "needs_assembly"}
    assert rows["gemma3-270m"].size_bytes == 253_113_024


def test_a_package_that_is_not_installed_is_a_config_error() -> None:
    source = PackagedFile(package="no_such_package_xyz", filename="m.gguf")

    assert source.locate() is None
    with pytest.raises(ConfigError, match="install"):
        source.resolve()


def _fake_parts_package(root: Path, target: Path, payload: bytes) -> str:
    """A package with the gemma parts package's `assemble` / `default_output_path` API."""
    name = "fake_gguf_parts"
    package = root / name
    package.mkdir()
    (package / "__init__.py").write_text(
        "from pathlib import Path\n"
        "CALLS = []\n"
        f"def default_output_path():\n    return Path({str(target)!r})\n"
        "def assemble(output_path, overwrite=False):\n"
        "    CALLS.append(output_path)\n"
        f"    Path(output_path).write_bytes({payload!r})\n"
        "    return Path(output_path)\n"
    )
    return name


def test_parts_are_assembled_once_then_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "cache" / "joined.gguf"
    target.parent.mkdir()
    name = _fake_parts_package(tmp_path, target, b"x" * 64)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)
    source = AssembledParts(package=name, size_bytes=64)

    assert source.locate() is None
    first = source.resolve()
    second = source.resolve()

    assert first == second == target
    assert target.read_bytes() == b"x" * 64
    calls = sys.modules[name].CALLS
    assert len(calls) == 1
    assert calls[0] != target  # written aside, then renamed into place
    assert list(target.parent.iterdir()) == [target]


def test_a_truncated_assembly_is_redone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "joined.gguf"
    target.write_bytes(b"x" * 10)  # what a killed assembly leaves behind
    name = _fake_parts_package(tmp_path, target, b"y" * 64)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)

    assert AssembledParts(package=name, size_bytes=64).resolve().read_bytes() == b"y" * 64


def test_parts_package_missing_is_not_installed() -> None:
    source = AssembledParts(package="no_such_parts_xyz", size_bytes=1)

    assert source.target() is None
    with pytest.raises(ConfigError, match="not installed"):
        source.resolve()
