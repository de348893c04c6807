"""The model endpoints of a set of planner specs: each distinct one opened once.

Two planner specs that name the same model share an endpoint (and, for a local model,
its server); `llm[model=smollm2-135m]` and `llm[model=gemma3-270m]` get a server each.
Every server is started when first needed (before the eval's first trial, or in the
service's start-up) and stopped when the exit stack it was opened on closes (Ctrl-C
included), so nothing is left running.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack

import httpx

from crane_bench.runtime.local_llm import DEFAULT_BASE_URL, LLMEndpoint, open_endpoint
from crane_bench.runtime.planners.specs import PlannerSpec
from crane_bench.runtime.settings import Settings

EndpointKey = tuple[str, ...]
"""("local", model) or ("hosted", base_url, model)."""


def endpoint_key(settings: Settings) -> EndpointKey:
    """What makes two planners' endpoints the same one."""
    if settings.uses_local_model():
        return ("local", settings.local_model)
    return ("hosted", settings.openai_base_url or DEFAULT_BASE_URL, settings.llm_model)


class EndpointPool:
    """Opens the endpoint of each distinct key once, on the stack it is given."""

    def __init__(
        self,
        stack: AsyncExitStack,
        settings: Settings,
        probe_transport: Callable[[], httpx.AsyncBaseTransport] | None = None,
    ) -> None:
        self._stack = stack
        self._settings = settings
        self._probe = probe_transport
        self.by_key: dict[EndpointKey, LLMEndpoint] = {}
        self.by_label: dict[str, LLMEndpoint] = {}
        """The endpoint of each label that calls a model."""
        self.key_of: dict[str, EndpointKey] = {}

    async def open_for(self, spec: PlannerSpec) -> LLMEndpoint | None:
        """The endpoint `spec` uses, opened on first use; None for a planner with no model.

        Raises:
            ConfigError: The local model cannot be resolved, or its port is in use.
            LLMUnavailableError: A local server did not start.
        """
        if not spec.needs_llm:
            return None
        own = spec.settings_for(self._settings)
        key = endpoint_key(own)
        if key not in self.by_key:
            probe = self._probe() if self._probe is not None else None
            self.by_key[key] = await self._stack.enter_async_context(
                open_endpoint(own, transport=probe)
            )
        self.by_label[spec.label] = self.by_key[key]
        self.key_of[spec.label] = key
        return self.by_key[key]
