"""The PostgreSQL store's connections: asyncpg's, with one difference at the edge. Text
PostgreSQL cannot hold (a NUL character, which SQLite stores) is bad input from a
client, refused as such (33003), not an internal error."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from imkit_tui.protocol import ErrorCode, ProtocolError

_UNSTORABLE = (
    asyncpg.exceptions.CharacterNotInRepertoireError,
    asyncpg.exceptions.UntranslatableCharacterError,
)


Statement = Callable[..., Awaitable[Any]]
"""One of asyncpg's Connection methods that run a statement (unbound)."""


def _refused(exc: Exception) -> ProtocolError:
    return ProtocolError(
        ErrorCode.INVALID_PARAMETER, f"text the store cannot hold (a NUL character?): {exc}"
    )


class StoreConnection(asyncpg.Connection):  # type: ignore[misc]
    """An asyncpg connection whose statements refuse unstorable text as bad input."""

    async def _run(self, call: Statement, query: str, *args: Any, **kwargs: Any) -> Any:
        """Run one statement through `call` (a method of asyncpg's Connection)."""
        try:
            return await call(self, query, *args, **kwargs)
        except _UNSTORABLE as exc:
            raise _refused(exc) from None

    async def execute(self, query: str, *args: Any, **kwargs: Any) -> Any:
        """asyncpg's execute."""
        return await self._run(asyncpg.Connection.execute, query, *args, **kwargs)

    async def executemany(self, command: str, args: Any, **kwargs: Any) -> Any:
        """asyncpg's executemany."""
        return await self._run(asyncpg.Connection.executemany, command, args, **kwargs)

    async def fetch(self, query: str, *args: Any, **kwargs: Any) -> Any:
        """asyncpg's fetch."""
        return await self._run(asyncpg.Connection.fetch, query, *args, **kwargs)

    async def fetchrow(self, query: str, *args: Any, **kwargs: Any) -> Any:
        """asyncpg's fetchrow."""
        return await self._run(asyncpg.Connection.fetchrow, query, *args, **kwargs)

    async def fetchval(self, query: str, *args: Any, **kwargs: Any) -> Any:
        """asyncpg's fetchval."""
        return await self._run(asyncpg.Connection.fetchval, query, *args, **kwargs)


async def create_pool(
    dsn: str, connection_class: type[StoreConnection] = StoreConnection
) -> asyncpg.Pool:
    """A pool of `connection_class` (a :class:`StoreConnection`) to the database at `dsn`."""
    return await asyncpg.create_pool(dsn, min_size=1, max_size=8, connection_class=connection_class)
