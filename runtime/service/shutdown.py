"""Shutting down within one budget: drain the runs first, then let the server stop.

uvicorn, told to stop, closes its listening socket at once (new clients are refused,
not answered), waits up to its graceful timeout for the requests in progress and
cancels those still waiting (a bare 500), and only then lets the app drain its runs:
two timeouts in a row, and clients left without an answer. So the app takes the signal
first. `DrainOnSignal` wraps the SIGTERM and SIGINT handlers the server installed; on
the first signal it drains while the server still listens, and hands the signal on
once the drain is over:

====================================  =================================================
from the signal                       what happens
====================================  =================================================
at once                               new submissions get a JSON 503 (`Retry-After`),
                                      readiness 503; reading runs still works
until `SHUTDOWN_RESERVE_S` before     runs in flight may finish; a client waiting with
the budget (SERVICE_DRAIN_TIMEOUT_S)  `?wait=true` gets its finished run
then                                  what is still running is cancelled and recorded
                                      failed (`cancelled`); its waiting clients get a
                                      JSON 503 naming the run
then (`UVICORN_GRACE_S` at most)      the server closes its socket and connections
====================================  =================================================

A second signal is handed on at once (uvicorn: a second Ctrl-C quits without waiting).
Only a handler a server installed is wrapped, never Python's defaults nor the Ctrl-C
handler of `asyncio.run`, so an app run in process (tests) is left alone.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
import threading
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Any, Final

logger = logging.getLogger(__name__)

SHUTDOWN_RESERVE_S: Final = 1.5
"""Of the drain budget: kept for cancelling the runs left (`executor._UNWIND_S`),
answering their waiting clients and the server's own close (`UVICORN_GRACE_S`)."""
UVICORN_GRACE_S: Final = 1.0
"""uvicorn's `timeout_graceful_shutdown`: it starts after the drain, when every waiting
client has its answer, so only closing connections is left."""
SIGNALS: Final = (signal.SIGTERM, signal.SIGINT)
_DEFAULTS: Final[tuple[Any, ...]] = (
    signal.SIG_DFL,
    signal.SIG_IGN,
    signal.default_int_handler,
    None,
)

Handler = Callable[[int, FrameType | None], Any]


def run_grace_s(drain_timeout_s: float) -> float:
    """How long runs in flight may still finish, of a shutdown budget of `drain_timeout_s`."""
    return max(0.0, drain_timeout_s - SHUTDOWN_RESERVE_S)


def _from_asyncio(handler: Any) -> bool:
    """True for `asyncio.Runner`'s own Ctrl-C handler (what `asyncio.run` installs)."""
    if isinstance(handler, functools.partial):  # how the runner installs it
        handler = handler.func
    return isinstance(getattr(handler, "__self__", None), asyncio.Runner)


class DrainOnSignal:
    """Runs `drain` on the first SIGTERM or SIGINT, then calls the server's own handler.

    Args:
        drain: Stops admission and drains the runs (`RunExecutor.drain`, bound to its grace).
    """

    def __init__(self, drain: Callable[[], Awaitable[None]]) -> None:
        self.drain = drain
        self.signalled = False
        self._previous: dict[int, Handler] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    def install(self) -> bool:
        """Wrap the server's handlers; False (nothing done) off the main thread or with none."""
        if threading.current_thread() is not threading.main_thread():
            return False
        self._loop = asyncio.get_running_loop()
        for sig in SIGNALS:
            previous = signal.getsignal(sig)
            if previous in _DEFAULTS or not callable(previous) or _from_asyncio(previous):
                continue
            self._previous[sig] = previous
            signal.signal(sig, self._handle)
        return bool(self._previous)

    def uninstall(self) -> None:
        """Give the server its handlers back (where they are still ours)."""
        for sig, previous in self._previous.items():
            if signal.getsignal(sig) == self._handle:
                signal.signal(sig, previous)
        self._previous.clear()

    def _handle(self, sig: int, frame: FrameType | None) -> None:
        loop = self._loop
        if self.signalled or loop is None or loop.is_closed():
            self._forward(sig, frame)
            return
        self.signalled = True
        logger.info("%s: draining before the server stops", signal.Signals(sig).name)
        loop.call_soon_threadsafe(self._start, sig)

    def _start(self, sig: int) -> None:
        self._task = asyncio.get_running_loop().create_task(self._drain_then_stop(sig))

    async def _drain_then_stop(self, sig: int) -> None:
        try:
            await self.drain()
        except Exception:  # the server must stop all the same
            logger.exception("the drain failed")
        finally:
            self._forward(sig, None)

    def _forward(self, sig: int, frame: FrameType | None) -> None:
        previous = self._previous.get(sig)
        if previous is not None:
            previous(sig, frame)
