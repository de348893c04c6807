"""Tiny local HTTP servers for the runner's integration tests (threads, not processes)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count

from tests.threaded_server import serving


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as locust's client expects
    disable_nagle_algorithm = True  # else headers and body wait on delayed ACKs (40 ms)
    broken = False
    ids = count()
    dead: threading.Event | None = None
    """Once set, every request is dropped unanswered (the host died)."""

    def handle_one_request(self) -> None:
        """Answer one request; once the host is dead, hang up instead."""
        if self.dead is not None and self.dead.is_set():
            self.close_connection = True
            return
        super().handle_one_request()

    def _answer(self, code: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.broken:
            self._answer(500, {"detail": "internal error"})
        else:
            self._answer(201, {"run_id": f"r{next(self.ids)}", "status": "pending"})

    def do_GET(self) -> None:
        if self.broken:
            self._answer(500, {"detail": "internal error"})
        elif self.path.startswith("/api/v1/runs/"):
            self._answer(200, {"run_id": self.path.rsplit("/", 1)[1], "status": "completed"})
        elif self.path.startswith("/api/v1/health"):
            self._answer(200, {"status": "ok"})
        else:
            self._answer(404, {"detail": "Not Found"})

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # locust drops connections when it stops its users: not news


@contextmanager
def fake_service(*, broken: bool = False) -> Iterator[str]:
    """Serve the runs API (every run completes at once), or 500 for everything; yield its URL."""
    handler = type("Handler", (_Handler,), {"broken": broken, "ids": count()})
    with serving(_QuietServer(("127.0.0.1", 0), handler)) as url:
        yield url


@contextmanager
def dying_service(*, dies_after_s: float) -> Iterator[str]:
    """`fake_service` that dies `dies_after_s` after it starts: it stops listening, and
    drops every request on a connection already open, unanswered."""
    dead = threading.Event()
    handler = type("Handler", (_Handler,), {"ids": count(), "dead": dead})
    server = _QuietServer(("127.0.0.1", 0), handler)

    def die() -> None:
        dead.set()
        server.shutdown()
        server.server_close()

    timer = threading.Timer(dies_after_s, die)
    with serving(server) as url:
        timer.start()
        try:
            yield url
        finally:
            timer.cancel()
