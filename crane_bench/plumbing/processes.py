"""Child processes: spawn into a log file, stop a whole tree, read the log's tail.

Each child starts in a session of its own, so a Ctrl-C in the terminal reaches only the
parent, which then stops its children in order. On Linux a child also dies with its
parent (`PR_SET_PDEATHSIG`): a parent killed with SIGKILL cannot clean up, and its model
server or service would otherwise live on and hold its port.

Stopping asks the group leader politely (SIGTERM), waits, and then kills whatever is left
of the group, and of the descendants that started sessions of their own.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Final

import psutil

GRACE_S: Final = 15.0
TAIL_BYTES: Final = 16_384
_PR_SET_PDEATHSIG: Final = 1  # <linux/prctl.h>


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free on `host` a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with(parent: int) -> Callable[[], None]:
    """A `preexec_fn`: the child gets SIGTERM when the thread that spawned it ends.

    The kernel sends the signal when the spawning *thread* exits: spawn long-lived
    children from the main thread (or an event loop's), never from a short-lived worker.
    """

    def preexec() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


def spawn(
    command: Sequence[str],
    log: Path,
    *,
    env: Mapping[str, str] | None = None,
    append: bool = True,
) -> subprocess.Popen[bytes]:
    """Start `command` in a new session, both its streams written to `log`.

    Args:
        command: The argv; no shell.
        log: The file that receives stdout and stderr (never a pipe that could fill up).
        env: The child's whole environment; None inherits ours.
        append: Append to `log` (else truncate it).
    """
    preexec = _die_with(os.getpid()) if sys.platform == "linux" else None
    with log.open("ab" if append else "wb") as out:
        return subprocess.Popen(  # noqa: S603 - argv built by the caller, no shell
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            start_new_session=True,
            preexec_fn=preexec,  # noqa: PLW1509 - only prctl and getppid, no locks taken
        )


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - a member we may not signal still exists
        return True
    return True


def stop(process: subprocess.Popen[bytes], grace_s: float = GRACE_S) -> int:
    """SIGTERM the leader, wait up to `grace_s`, then SIGKILL its whole process group.

    Descendants in sessions of their own (the local model server starts in one) are not
    in the group: the tree is read before the signal, and whatever of it outlives the
    leader is terminated, then killed. Safe to call on a process that already exited.

    Returns:
        The leader's exit code (negative: the signal that ended it).
    """
    try:
        tree = psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        tree = []
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace_s)
    # The group id is the leader's pid (new session). Once the leader is gone (or did not
    # go in time), anything left in its group is a stray: kill it.
    if _group_alive(process.pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    code = process.wait()
    _end(tree, grace_s=min(grace_s, 5.0))
    return code


def _end(processes: list[psutil.Process], grace_s: float = 5.0) -> None:
    """Terminate, and after `grace_s` kill, those of `processes` still running."""
    alive = [p for p in processes if p.is_running()]
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _, alive = psutil.wait_procs(alive, timeout=grace_s)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(alive, timeout=grace_s)


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and its descendants, in bytes.

    Raises:
        psutil.NoSuchProcess: The process is gone.
    """
    proc = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])


def tail(path: Path, lines: int = 15) -> str:
    """The last `lines` lines of a log file, for an error message ("" when unreadable)."""
    try:
        with path.open("rb") as log:
            log.seek(max(0, path.stat().st_size - TAIL_BYTES))
            text = log.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])
