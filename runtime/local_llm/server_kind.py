"""What kind of server an OpenAI-compatible endpoint is, and what follows from it.

How the LLM planner talks to an endpoint depends on the server behind it, not on its
address: llama-cpp-python constrains output with `{"type": "json_object", "schema": ...}`
and answers one request at a time, while OpenAI, vLLM, Ollama and llama.cpp's own
`llama-server` speak OpenAI structured outputs (and the last three batch requests). A
URL on localhost can be Ollama; a URL on another host can be our own `llm serve`.

So the kind is known, in this order: from the `LLM_SERVER` setting when it is not
`auto`; for the local server that a run started itself, `llama-cpp-python`; otherwise
from the server's own answer to `GET /models`, whose `owned_by` field each of these
servers fills in its own way (llama-cpp-python `me`, llama-server `llamacpp`, vLLM
`vllm`, Ollama `library`, OpenAI `system`/`openai`). A server that cannot be asked, or
answers otherwise, is `unknown` and treated as a generic OpenAI-compatible endpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final, Literal, get_args

import httpx
from pydantic import BaseModel, ConfigDict

from crane_bench.runtime.settings import ServerKind

OutputFormat = Literal["json_schema", "llama_cpp"]

PROBE_TIMEOUT_S: Final = 3.0
_OWNERS: Final[Mapping[str, ServerKind]] = {
    "me": "llama-cpp-python",
    "llamacpp": "llama-server",
    "vllm": "vllm",
    "library": "ollama",
    "ollama": "ollama",
    "system": "openai",
    "openai": "openai",
    "openai-internal": "openai",
}
_log = logging.getLogger(__name__)


class ServerTraits(BaseModel):
    """What the planner and the runner need to know about a kind of server."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ServerKind
    output_format: OutputFormat
    """How a JSON schema constrains the output."""
    grammar: bool
    """Accepts a GBNF grammar (`extra_body={"grammar": ...}`): the decomposed planner needs it."""
    one_request_at_a_time: bool
    """Serves requests one by one: more in flight only queue there."""
    self_hosted: bool
    """Runs on hardware the user owns: no per-token price."""


_TRAITS: Final[Mapping[ServerKind, ServerTraits]] = {
    kind: ServerTraits(
        kind=kind,
        output_format="llama_cpp" if kind == "llama-cpp-python" else "json_schema",
        grammar=kind in ("llama-cpp-python", "llama-server"),
        one_request_at_a_time=kind == "llama-cpp-python",
        self_hosted=kind in ("llama-cpp-python", "llama-server", "vllm", "ollama"),
    )
    for kind in get_args(ServerKind)
}


def traits(kind: ServerKind) -> ServerTraits:
    """The traits of a kind of server."""
    return _TRAITS[kind]


def kind_from_models(payload: Any) -> ServerKind:
    """The server kind that a `GET /models` answer shows (`unknown` if it shows none)."""
    if not isinstance(payload, dict):
        return "unknown"
    data = payload.get("data")
    if not isinstance(data, list):
        return "unknown"
    for entry in data:
        owner = entry.get("owned_by") if isinstance(entry, dict) else None
        if isinstance(owner, str) and owner.lower() in _OWNERS:
            return _OWNERS[owner.lower()]
    return "unknown"


def _models_request(base_url: str, api_key: str | None) -> tuple[str, dict[str, str]]:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    return base_url.rstrip("/") + "/models", headers


def _read_kind(response: httpx.Response) -> ServerKind:
    if response.status_code != httpx.codes.OK:
        return "unknown"
    try:
        return kind_from_models(response.json())
    except (ValueError, RecursionError):  # not JSON, or more than the parser reads
        return "unknown"


async def probe_server_kind(
    base_url: str,
    api_key: str | None,
    *,
    timeout_s: float = PROBE_TIMEOUT_S,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ServerKind:
    """Ask the server at `base_url` what it is; `unknown` when it cannot tell.

    Never raises for a network problem: an endpoint that is down is reported by the
    planner's first real call, with its own error.
    """
    url, headers = _models_request(base_url, api_key)
    try:
        async with httpx.AsyncClient(transport=transport, timeout=timeout_s) as client:
            response = await client.get(url, headers=headers)
    except httpx.HTTPError as exc:
        _log.info("could not ask %s what server it is: %s", url, type(exc).__name__)
        return "unknown"
    return _read_kind(response)


def probe_server_kind_sync(
    base_url: str, api_key: str | None, *, timeout_s: float = PROBE_TIMEOUT_S
) -> ServerKind:
    """`probe_server_kind` for synchronous callers."""
    url, headers = _models_request(base_url, api_key)
    try:
        response = httpx.get(url, headers=headers, timeout=timeout_s)
    except httpx.HTTPError as exc:
        _log.info("could not ask %s what server it is: %s", url, type(exc).__name__)
        return "unknown"
    return _read_kind(response)


def _slots_of(response: httpx.Response) -> int | None:
    if response.status_code != httpx.codes.OK:
        return None
    try:
        slots = response.json().get("total_slots")
    except (ValueError, AttributeError, RecursionError):
        return None
    return slots if isinstance(slots, int) and not isinstance(slots, bool) and slots > 0 else None


async def probe_slots(
    base_url: str,
    api_key: str | None,
    *,
    timeout_s: float = PROBE_TIMEOUT_S,
    transport: httpx.AsyncBaseTransport | None = None,
) -> int | None:
    """How many requests a llama-server decodes at once (`GET /props`, `total_slots`).

    None when it cannot tell; never raises for a network problem.
    """
    _, headers = _models_request(base_url, api_key)
    url = base_url.rstrip("/").removesuffix("/v1") + "/props"
    try:
        async with httpx.AsyncClient(transport=transport, timeout=timeout_s) as client:
            response = await client.get(url, headers=headers)
    except httpx.HTTPError as exc:
        _log.info("could not ask %s for its slots: %s", url, type(exc).__name__)
        return None
    return _slots_of(response)
