"""`crane-bench load --host` where nothing listens: one line, exit 2, nothing started."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crane_bench.cli.app import app
from crane_bench.load.errors import LoadConfigError
from crane_bench.load.runner import check_reachable
from tests.load.fake_service import fake_service


def dead_url() -> str:
    """A loopback URL whose port nothing listens on (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_a_dead_host_exits_2_with_one_line_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    host = dead_url()

    result = CliRunner().invoke(app, ["load", "--host", host, "--run-time", "3s", "--out", "run"])

    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"--host {host}: nothing answers there (ConnectError" in lines[0]
    assert not (tmp_path / "run").exists()  # no locust, no run directory


@pytest.mark.parametrize("broken", [False, True], ids=["healthy", "answering-500"])
def test_any_http_answer_counts_as_reachable(broken: bool) -> None:
    with fake_service(broken=broken) as host:
        check_reachable(host)  # a 500 is a server to measure, not a dead port


def test_an_unreachable_host_is_a_config_error() -> None:
    with pytest.raises(LoadConfigError, match="nothing answers there"):
        check_reachable(dead_url(), timeout_s=5)
