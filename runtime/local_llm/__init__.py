"""The local model server: a small model served offline by llama-cpp-python.

With neither `OPENAI_API_KEY` nor `OPENAI_BASE_URL` set, `open_endpoint` starts a
`LocalModelServer` for a catalog model (or any `.gguf` file) and yields its endpoint.
"""

from crane_bench.runtime.local_llm.catalog import (
    CATALOG,
    AssembledParts,
    Availability,
    CatalogName,
    LocalModel,
    ModelAvailability,
    ModelKind,
    PackagedFile,
    ResolvedModel,
    list_models,
    resolve_model,
)
from crane_bench.runtime.local_llm.endpoint import (
    LLMEndpoint,
    check_endpoint,
    hosted_endpoint,
    local_endpoint,
    local_server,
    make_openai_client,
    open_endpoint,
    open_endpoint_sync,
    settings_model,
    weights_dir,
)
from crane_bench.runtime.local_llm.server import (
    LocalModelServer,
    LocalServerConfig,
    ensure_port_free,
    pick_free_port,
)
from crane_bench.runtime.local_llm.weights import (
    ReencodeFormat,
    default_weights_dir,
    reencoded_weights,
)
from crane_bench.runtime.settings import DEFAULT_BASE_URL  # its home: specs need it without us

__all__ = [
    "CATALOG",
    "DEFAULT_BASE_URL",
    "AssembledParts",
    "Availability",
    "CatalogName",
    "LLMEndpoint",
    "LocalModel",
    "LocalModelServer",
    "LocalServerConfig",
    "ModelAvailability",
    "ModelKind",
    "PackagedFile",
    "ReencodeFormat",
    "ResolvedModel",
    "check_endpoint",
    "default_weights_dir",
    "ensure_port_free",
    "hosted_endpoint",
    "list_models",
    "local_endpoint",
    "local_server",
    "make_openai_client",
    "open_endpoint",
    "open_endpoint_sync",
    "pick_free_port",
    "reencoded_weights",
    "resolve_model",
    "settings_model",
    "weights_dir",
]
