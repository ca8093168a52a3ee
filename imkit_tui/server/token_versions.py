"""Each user's token version: a token issued under an older one is revoked.

`imkit token --revoke USER` bumps the version in the server's store, possibly from
another process than the running server's; the server reads `changes_since` every
second and closes the devices still logged in with an older token.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from imkit_tui.storage import BatchWriter, Database


@dataclass(frozen=True, slots=True)
class Revocation:
    """`user_id`'s tokens older than `version` were revoked; `change` orders revocations."""

    user_id: str
    version: int
    change: int


def read_version(database_path: Path, user_id: str) -> int:
    """`user_id`'s token version read straight from the store at `database_path`, for a
    process that does not hold the store open (0 while there is no store, or no
    revocation was ever made on it)."""
    if not database_path.is_file():
        return 0
    try:
        uri = f"{database_path.as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=5)) as conn:
            row = conn.execute(
                "SELECT version FROM token_versions WHERE user_id = ?", (user_id,)
            ).fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):  # a store from before token versions
            return 0
        raise
    return int(row[0]) if row is not None else 0


class TokenVersions:
    """Reads and writes of the token versions (a ServerStore part)."""

    def __init__(self, writer: BatchWriter, reader: Database) -> None:
        self._writer = writer
        self._reader = reader

    async def current(self, user_id: str) -> int:
        """The version tokens of `user_id` must carry (0 until a first revocation)."""
        row = await self._reader.fetch_one(
            "SELECT version FROM token_versions WHERE user_id = ?", (user_id,)
        )
        return int(row[0]) if row is not None else 0

    async def revoke(self, user_id: str) -> int:
        """Refuse every token of `user_id` issued so far; returns the new version."""

        def job(conn: sqlite3.Connection) -> int:
            row = conn.execute(
                "INSERT INTO token_versions(user_id, version, change)"
                " VALUES (?, 1, (SELECT COALESCE(MAX(change), 0) + 1 FROM token_versions))"
                " ON CONFLICT (user_id) DO UPDATE SET version = version + 1,"
                " change = excluded.change RETURNING version",
                (user_id,),
            ).fetchone()
            return int(row[0])

        return await self._writer.submit(job)

    async def last_change(self) -> int:
        """The latest revocation's `change` (0 if none): where to start watching."""
        row = await self._reader.fetch_one("SELECT COALESCE(MAX(change), 0) FROM token_versions")
        return int(row[0])

    async def changes_since(self, change: int) -> list[Revocation]:
        """The revocations after `change`, oldest first (an index range: cheap when none)."""
        rows = await self._reader.fetch_all(
            "SELECT user_id, version, change FROM token_versions WHERE change > ? ORDER BY change",
            (change,),
        )
        return [Revocation(str(u), int(v), int(c)) for u, v, c in rows]
