"""The server store on PostgreSQL (asyncpg), for several `imkit serve` nodes sharing one
database: the same tables and guarantees as the SQLite store (server/store.py), one
module per table group. Imported only when `imkit serve --store postgresql://…` asks
for it, so the app and the embedded server never load asyncpg.
"""

from imkit_tui.server.pg.store import PostgresStore

__all__ = ["PostgresStore"]
