"""An on-disk cache of LLM responses, at the HTTP level, so eval reruns cost nothing.

`CachingTransport` wraps the transport of the OpenAI client's `httpx.AsyncClient`. A POST
to `/chat/completions` or `/completions` is looked up by the sha256 of its URL and its
JSON body in canonical form (sorted keys), so the base URL, the model, the messages and
every sampling parameter are part of the key, and headers (the API key) are not. Only
200 responses are stored; errors, other statuses and streamed requests always go to the
endpoint. Files are written to a temp file first and moved into place with `os.replace`,
so a reader never sees half a response, even with several runs sharing the directory.

A cached trial's latency is the cache's, not the model's: rows say `cached`, and latency
is measured with `--no-cache`. Which trial a cache hit belongs to is told through
`cache_stats`, a context variable holding a per-trial `CacheStats`: the runner sets a
fresh one in each trial's task, and the transport, which runs in that same task, counts
into it.
"""

from __future__ import annotations

import hashlib
import json
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import httpx

from crane_bench.plumbing.run_files import write_atomically

CACHED_PATHS: Final = ("/chat/completions", "/completions")
CACHE_HEADER: Final = "x-crane-cache"
"""Set to `hit` on responses served from the cache, for debugging."""


@dataclass
class CacheStats:
    """Model calls of one trial: answered from the cache, or sent to the endpoint."""

    hits: int = 0
    misses: int = 0

    @property
    def fully_cached(self) -> bool:
        """True when the trial called the model and every answer came from the cache."""
        return self.hits > 0 and self.misses == 0


cache_stats: ContextVar[CacheStats | None] = ContextVar("crane_eval_cache_stats", default=None)
"""The current trial's counters; None outside a trial (nothing is counted)."""


def cache_key(
    request: httpx.Request, namespace: str = "", endpoint: str | None = None
) -> str | None:
    """The cache key of a request, or None when the request is not cacheable.

    Cacheable: a POST to a completions path whose body is a JSON object that does not
    ask for a stream. `namespace` keeps identical requests of different users apart.
    `endpoint` names the server the request goes to, when its URL does not: a local
    model server started by a run listens on a new port each time, and its answers
    depend on the model it serves, not on the port.
    """
    if request.method != "POST" or not request.url.path.endswith(CACHED_PATHS):
        return None
    try:
        body = json.loads(request.content)
    except (ValueError, httpx.RequestNotRead):
        return None
    if not isinstance(body, dict) or body.get("stream"):
        return None
    canonical = json.dumps(
        {
            "namespace": namespace,
            "url": request.url.path if endpoint is not None else str(request.url),
            "endpoint": endpoint,
            "body": body,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


class CachingTransport(httpx.AsyncBaseTransport):
    """A transport that answers repeated completion requests from files.

    Args:
        inner: The transport that really sends requests (`httpx.AsyncHTTPTransport()`,
            or a `MockTransport` in tests); closed with this one.
        cache_dir: Where responses are kept, one `<2 hex>/<sha256>.json` file each.
        namespace: Part of every key. The runner uses the planner's name: the llm-first
            hybrid planner sends the very request the llm planner sends, and if it were
            answered from the llm planner's fresh entry, its latency in the same run
            would be the cache's rather than the model's.
        endpoint: Names the server in place of its URL's host and port (see
            `cache_key`); None keys by the whole URL.
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        cache_dir: Path,
        *,
        namespace: str = "",
        endpoint: str | None = None,
    ) -> None:
        self.inner = inner
        self.cache_dir = cache_dir
        self.namespace = namespace
        self.endpoint = endpoint

    def path_for(self, key: str) -> Path:
        """The file that holds the response stored under `key`."""
        return self.cache_dir / key[:2] / f"{key}.json"

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Serve a cached response, or send the request and keep a 200 answer."""
        key = cache_key(request, self.namespace, self.endpoint)
        if key is None:
            return await self.inner.handle_async_request(request)
        stats = cache_stats.get()
        path = self.path_for(key)
        stored = _read(path)
        if stored is not None:
            if stats is not None:
                stats.hits += 1
            return httpx.Response(
                200,
                headers={"content-type": "application/json", CACHE_HEADER: "hit"},
                content=stored,
                request=request,
            )
        if stats is not None:
            stats.misses += 1
        response = await self.inner.handle_async_request(request)
        if response.status_code != httpx.codes.OK:
            return response
        # Reading here decodes the body once; the client then finds it already read.
        content = await response.aread()
        if _is_json(content):
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, content)
        return response

    async def aclose(self) -> None:
        """Close the inner transport."""
        await self.inner.aclose()


def _is_json(content: bytes) -> bool:
    # A 200 whose body is not JSON (a proxy's HTML page) is an error in disguise.
    try:
        json.loads(content)
    except (ValueError, RecursionError):  # not JSON, or more than the parser reads
        return False
    return True
