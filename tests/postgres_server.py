"""A throwaway PostgreSQL server for tests, from Debian's `postgresql` package.

`PostgresServer` runs `initdb` into a temporary folder and `pg_ctl start` on a free
loopback port (trust authentication, no other client can reach it), and removes it all
on exit. PostgreSQL refuses to run as root, so as root the cluster belongs to the
`postgres` user the package creates and the commands run through `runuser`.

`find_binaries()` names what is missing, for a skip with a reason.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SEARCH = ("/usr/lib/postgresql",)
INSTALL = "apt-get install -y postgresql"


def find_binaries() -> Path | str:
    """The folder holding `initdb` and `pg_ctl`, or why there is none."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).resolve().parent
    for root in SEARCH:
        versions = sorted(Path(root).glob("*/bin/pg_ctl"), reverse=True)
        if versions:
            return versions[0].parent
    return f"PostgreSQL's server binaries (initdb, pg_ctl) are not installed ({INSTALL})"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PostgresServer:
    """A PostgreSQL cluster in a temporary folder, serving `url` while entered."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.port = _free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="crane-pg-"))
        self.data = self.folder / "data"
        self.user: str | None = None
        if os.geteuid() == 0:
            try:
                self.user = pwd.getpwnam("postgres").pw_name
            except KeyError as exc:
                raise RuntimeError("running as root and there is no postgres user") from exc
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.binaries / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {(done.stdout + done.stderr)[-2000:]}")

    def __enter__(self) -> PostgresServer:
        if self.user is not None:
            shutil.chown(self.folder, self.user, self.user)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.folder} -c fsync=off -c max_connections=50"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"),
            "-w", "-t", "60", "start",
        )  # fmt: skip
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
