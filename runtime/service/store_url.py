"""`RUN_STORE_URL`: which run store, where; parsed, checked, opened and shown redacted.

==============================  =========================================================
`sqlite:///runs/service.db`     SQLite, a path relative to the working directory
`sqlite:////var/lib/crane.db`   SQLite, an absolute path (four slashes, as SQLAlchemy)
`postgresql://u:p@host:5432/db` PostgreSQL (`pip install 'crane-bench[postgres]'`);
                                `postgres://` too; libpq parameters in the query
`memory://`                     process memory: one process, lost on exit
==============================  =========================================================

No message here repeats a PostgreSQL URL: it may hold a password.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit, urlunsplit

from crane_bench.runtime.errors import ConfigError

if TYPE_CHECKING:
    from crane_bench.runtime.service.settings import RunStoreSettings
    from crane_bench.runtime.service.store import RunStore

DEFAULT_STORE_URL = "sqlite:///.crane/runs.db"
StoreKind = Literal["memory", "sqlite", "postgresql"]
POSTGRES_EXTRA = "pip install 'crane-bench[postgres]'"


@dataclass(frozen=True)
class StoreTarget:
    """A parsed `RUN_STORE_URL`.

    Attributes:
        kind: Which store.
        path: The SQLite file (sqlite only).
        url: The libpq connection URL (postgresql only).
    """

    kind: StoreKind
    path: Path | None = None
    url: str | None = None


def parse_store_url(url: str) -> StoreTarget:
    """What `url` names.

    Raises:
        ConfigError: An unknown scheme, or a SQLite URL without a path.
    """
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if sep and scheme == "memory" and not rest:
        return StoreTarget("memory")
    if sep and scheme == "sqlite":
        path = rest.removeprefix("/")  # sqlite:///a.db -> a.db; sqlite:////abs -> /abs
        if not rest.startswith("/") or not path or path.endswith("/"):
            raise ConfigError(
                "RUN_STORE_URL: a SQLite URL is sqlite:///RELATIVE/PATH or sqlite:////ABSOLUTE/PATH"
            )
        return StoreTarget("sqlite", path=Path(path))
    if sep and scheme in ("postgresql", "postgres"):
        return StoreTarget("postgresql", url=url)
    raise ConfigError(
        "RUN_STORE_URL must start with sqlite:///, postgresql:// or memory:// (the value is "
        "not repeated: it may hold a password)"
    )


def redacted(url: str) -> str:
    """`url` with any password replaced by `***`, for logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rpartition("@")
    user = netloc[0].partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[2]}"))


def check_store(url: str, *, workers: int) -> None:
    """Refuse a store the service could not use, before it starts; writes nothing.

    Raises:
        ConfigError: `memory://` with several workers (each would see its own runs); a
            PostgreSQL URL without its driver; a SQLite file whose folder cannot be made
            or written.
    """
    target = parse_store_url(url)
    if target.kind == "memory" and workers > 1:
        raise ConfigError(
            f"RUN_STORE_URL=memory:// keeps runs in one process, and SERVICE_WORKERS={workers} "
            "would each see only their own: use sqlite:///PATH or postgresql://..."
        )
    if target.kind == "postgresql":
        try:
            import psycopg  # noqa: F401, PLC0415 - an optional extra: is it there?
        except ImportError:
            raise ConfigError(
                f"RUN_STORE_URL is a PostgreSQL URL but psycopg is not installed: {POSTGRES_EXTRA}"
            ) from None
    if target.kind == "sqlite" and target.path is not None:
        _check_writable(target.path)


def _check_writable(path: Path) -> None:
    """The SQLite file (or the nearest folder that exists above it) can be written."""
    if path.exists():
        if path.is_dir() or not os.access(path, os.R_OK | os.W_OK):
            raise ConfigError(f"RUN_STORE_URL: {path} is not a writable file")
        return
    folder = path.parent.resolve()
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"RUN_STORE_URL: cannot create {path}: {folder} is not a writable folder")


def open_store(settings: RunStoreSettings, max_finished: int) -> RunStore:
    """The store `settings.url` names, not yet opened (its `open` connects)."""
    from crane_bench.runtime.service.store import InMemoryRunStore  # noqa: PLC0415

    target = parse_store_url(settings.url)
    if target.kind == "sqlite" and target.path is not None:
        from crane_bench.runtime.service.store_sqlite import SqliteRunStore  # noqa: PLC0415

        return SqliteRunStore(target.path, max_finished, synchronous=settings.sqlite_synchronous)
    if target.kind == "postgresql" and target.url is not None:
        from crane_bench.runtime.service.store_postgres import PostgresRunStore  # noqa: PLC0415

        return PostgresRunStore(target.url, max_finished)
    return InMemoryRunStore(max_finished)
