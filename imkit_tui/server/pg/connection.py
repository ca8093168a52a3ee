"""The PostgreSQL store's connections: asyncpg's, with one difference at the edge. Text
PostgreSQL cannot hold (a NUL character, which SQLite stores) is bad input from a
client, refused as such (33003), not an internal error."""

from __future__ import annotations

from typing import Any

import asyncpg

from imkit_tui.protocol import ErrorCode, ProtocolError

_UNSTORABLE = (
    asyncpg.exceptions.CharacterNotInRepertoireError,
    asyncpg.exceptions.UntranslatableCharacterError,
)


def _refused(exc: Exception) -> ProtocolError:
    return ProtocolError(
        ErrorCode.INVALID_PARAMETER, f"text the store cannot hold (a NUL character?): {exc}"
    )


class StoreConnection(asyncpg.Connection):  # type: ignore[misc]
    """An asyncpg connection whose queries refuse unstorable text as bad input."""

    async def execute(self, query: str, *args: Any, **kwargs: Any) -> Any:
        """asyncpg's execute."""
        try:
            return await super().execute(query, *args, **kwargs)
        except _UNSTORABLE as exc:
            raise _refused(exc) from None

    async def executemany(self, command: str, args: Any, **kwargs: Any) -> Any:
        """asyncpg's executemany."""
        try:
            return await super().executemany(command, args, **kwargs)
        except _UNSTORABLE as exc:
            raise _refused(exc) from None

    async def fetch(self, query: str, *args: Any, **kwargs: Any) -> Any:
        """asyncpg's fetch."""
        try:
            return await super().fetch(query, *args, **kwargs)
        except _UNSTORABLE as exc:
            raise _refused(exc) from None

    async def fetchrow(self, query: str, *args: Any, **kwargs: Any) -> Any:
        """asyncpg's fetchrow."""
        try:
            return await super().fetchrow(query, *args, **kwargs)
        except _UNSTORABLE as exc:
            raise _refused(exc) from None

    async def fetchval(self, query: str, *args: Any, **kwargs: Any) -> Any:
        """asyncpg's fetchval."""
        try:
            return await super().fetchval(query, *args, **kwargs)
        except _UNSTORABLE as exc:
            raise _refused(exc) from None


async def create_pool(dsn: str) -> asyncpg.Pool:
    """A pool of :class:`StoreConnection` to the database at `dsn`."""
    return await asyncpg.create_pool(dsn, min_size=1, max_size=8, connection_class=StoreConnection)
