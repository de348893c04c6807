"""Which OpenAI-compatible endpoint the LLM planner talks to, and the client for it.

With `OPENAI_API_KEY` or `OPENAI_BASE_URL` set, that hosted (or self-run) endpoint is
used as is, and asked what server it is (`server_kind`) unless `LLM_SERVER` says so.
With neither, the local model server is started for the duration of the
`open_endpoint` block, so the LLM planner works offline with no configuration.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from crane_bench.runtime.errors import ConfigError
from crane_bench.runtime.local_llm.catalog import ModelKind, ResolvedModel, resolve_model
from crane_bench.runtime.local_llm.server import LocalModelServer, LocalServerConfig
from crane_bench.runtime.local_llm.server_kind import (
    ServerTraits,
    probe_server_kind,
    probe_server_kind_sync,
    probe_slots,
    traits,
)
from crane_bench.runtime.settings import DEFAULT_BASE_URL, ServerKind

if TYPE_CHECKING:
    import openai

    from crane_bench.runtime.settings import Settings

LOCAL_API_KEY = "sk-local"  # the local server checks no key; the client needs one
LOCAL_REASON = "no OPENAI_API_KEY or OPENAI_BASE_URL set"


class LLMEndpoint(BaseModel):
    """An OpenAI-compatible endpoint: where, with what key, which model, and what kind."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = Field(description="The /v1 base URL.")
    api_key: SecretStr | None = Field(
        description="Never logged or shown in repr; None sends a placeholder key."
    )
    model: str = Field(min_length=1, description="The `model` sent with each request.")
    local: bool = Field(description="True for the local model server started by us.")
    kind: ModelKind = Field(
        description="chat: use /chat/completions; completion: a base model, /completions."
    )
    server: ServerKind = Field(
        "unknown", description="What serves it: set, known (we started it), or asked."
    )
    slots: int | None = Field(
        None,
        ge=1,
        description="Requests it decodes at once, when known (a local server we started).",
    )

    @property
    def traits(self) -> ServerTraits:
        """What follows from the server kind: output format, grammar, one request at a time."""
        return traits(self.server)


def _api_key(settings: Settings) -> str | None:
    return settings.openai_api_key.get_secret_value() if settings.openai_api_key else None


def hosted_endpoint(
    settings: Settings, server: ServerKind | None = None, slots: int | None = None
) -> LLMEndpoint:
    """The endpoint that `OPENAI_API_KEY` / `OPENAI_BASE_URL` / `LLM_MODEL` describe.

    Args:
        settings: The endpoint settings.
        server: What serves it, when asked already; default: `LLM_SERVER` if it is set,
            else `unknown` (`open_endpoint` asks the server).
        slots: Requests it decodes at once, when asked already (llama-server's `/props`).
    """
    if server is None:
        server = "unknown" if settings.llm_server == "auto" else settings.llm_server
    return LLMEndpoint(
        base_url=settings.openai_base_url or DEFAULT_BASE_URL,
        api_key=settings.openai_api_key,
        model=settings.llm_model,
        local=False,
        kind="chat",
        server=server,
        slots=slots,
    )


def local_endpoint(server: LocalModelServer) -> LLMEndpoint:
    """The endpoint of a running local model server."""
    return LLMEndpoint(
        base_url=server.base_url,
        api_key=SecretStr(LOCAL_API_KEY),
        model=server.model_name,
        local=True,
        kind=server.model.kind,
        server=server.program,
        slots=server.slots,
    )


def weights_dir(settings: Settings) -> Path | None:
    """Where re-encoded weights are kept (`LOCAL_WEIGHTS_DIR`; None: the user's cache)."""
    return Path(settings.local_weights_dir).expanduser() if settings.local_weights_dir else None


def settings_model(settings: Settings) -> ResolvedModel:
    """The model `LOCAL_MODEL` names, resolved.

    Raises:
        ConfigError: `LOCAL_MODEL` is neither a catalog name nor an existing file (the
            message names the setting).
    """
    try:
        return resolve_model(
            settings.local_model,
            weights=settings.local_weights,
            weights_dir=weights_dir(settings),
        )
    except ConfigError as exc:
        # resolve_model also serves `llm serve --model`; here the name came from a setting.
        raise ConfigError(f"LOCAL_MODEL: {exc}") from None


def local_server(settings: Settings) -> LocalModelServer:
    """A (not yet started) server for the model the `LOCAL_*` settings name.

    Raises:
        ConfigError: `LOCAL_MODEL` is neither a catalog name nor an existing file, or the
            program that would serve it cannot be found (`LOCAL_SERVER`, `LOCAL_SERVER_BIN`).
    """
    return LocalModelServer(
        settings_model(settings), LocalServerConfig.from_settings(settings), reason=LOCAL_REASON
    )


def check_endpoint(settings: Settings) -> None:
    """Raise now the `ConfigError` that `open_endpoint` would raise for these settings.

    Nothing is started and nothing is asked over the network: for the local model, the
    model must resolve and the program that would serve it must be there. A service
    calls it before its server starts, where an error is one line and not a traceback
    from the start-up of the app.

    Raises:
        ConfigError: `LOCAL_MODEL`, `LOCAL_SERVER` or `LOCAL_SERVER_BIN` names nothing
            that can serve (see `local_server`), or the [local-llm] extra is missing.
    """
    if settings.uses_local_model():
        local_server(settings).check()


@asynccontextmanager
async def open_endpoint(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[LLMEndpoint]:
    """Yield the endpoint to use; a local server, if needed, lives as long as the block.

    Args:
        settings: Which endpoint, or which local model.
        transport: HTTP transport for asking a configured endpoint what server it is
            (tests pass a fake endpoint's); default: a real connection.

    Raises:
        ConfigError: The local model cannot be resolved, or its port is in use.
        LLMUnavailableError: The local server did not start.
    """
    if not settings.uses_local_model():
        server: ServerKind | None = None
        slots: int | None = None
        url = settings.openai_base_url or DEFAULT_BASE_URL
        if settings.llm_server == "auto":
            server = await probe_server_kind(url, _api_key(settings), transport=transport)
        if (server or settings.llm_server) == "llama-server":
            slots = await probe_slots(url, _api_key(settings), transport=transport)
        yield hosted_endpoint(settings, server, slots)
        return
    async with local_server(settings) as started:
        yield local_endpoint(started)


@contextmanager
def open_endpoint_sync(settings: Settings) -> Iterator[LLMEndpoint]:
    """`open_endpoint` for synchronous callers (scripts, pytest fixtures)."""
    if not settings.uses_local_model():
        server: ServerKind | None = None
        if settings.llm_server == "auto":
            url = settings.openai_base_url or DEFAULT_BASE_URL
            server = probe_server_kind_sync(url, _api_key(settings))
        yield hosted_endpoint(settings, server)
        return
    with local_server(settings) as started:
        yield local_endpoint(started)


def make_openai_client(
    endpoint: LLMEndpoint,
    *,
    timeout_s: float,
    transport: httpx.AsyncBaseTransport | None = None,
) -> openai.AsyncOpenAI:
    """An async OpenAI client for `endpoint` that never retries on its own.

    Args:
        endpoint: Where to send requests.
        timeout_s: Timeout of one request.
        transport: An HTTP transport to send through (a response cache, or a fake
            endpoint in tests); the default is a plain connection pool.
    """
    api_key = endpoint.api_key.get_secret_value() if endpoint.api_key else LOCAL_API_KEY
    http_client = None
    if transport is not None:
        http_client = httpx.AsyncClient(transport=transport, timeout=timeout_s)
    # max_retries=0: the planner owns retries and backoff, and counts every attempt.
    import openai  # noqa: PLC0415 - a second of import time a pattern plan never needs

    return openai.AsyncOpenAI(
        base_url=endpoint.base_url,
        api_key=api_key,
        timeout=timeout_s,
        max_retries=0,
        http_client=http_client,  # type: ignore[arg-type]  # openai 3 accepts httpx clients
    )
