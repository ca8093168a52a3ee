"""Which store a server opens: SQLite in its data dir (the default), or PostgreSQL when
its config names one (`store_url`, `imkit serve --store postgresql://…`), for several
nodes sharing it. The PostgreSQL store is imported only then."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from imkit_tui.server.config import ServerConfig
from imkit_tui.server.store import ServerStore
from imkit_tui.server.unusable import ServiceUnusable

if TYPE_CHECKING:
    from imkit_tui.server.pg.store import PostgresStore

AnyStore: TypeAlias = "ServerStore | PostgresStore"
"""A store the server can run on."""

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(url: str) -> bool:
    """Whether `url` names a PostgreSQL database."""
    return url.startswith(POSTGRES_SCHEMES)


async def open_store(config: ServerConfig) -> AnyStore:
    """The store `config` names, open (and migrated, for PostgreSQL with `migrate_store`)."""
    if not config.store_url:
        return await ServerStore.open(config.database_path, wal_limit_bytes=config.wal_limit_bytes)
    from imkit_tui.server.pg.store import PostgresStore

    try:
        return await PostgresStore.open(config.store_url, migrate_schema=config.migrate_store)
    except OSError as exc:
        raise ServiceUnusable(f"cannot reach the store at {config.store_url}: {exc}") from exc
