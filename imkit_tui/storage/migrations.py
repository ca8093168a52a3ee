"""Numbered schema migrations, tracked in SQLite's `user_version`."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step. `version` counts from 1; `sql` is a script of statements."""

    version: int
    description: str
    sql: str


class SchemaTooNew(RuntimeError):
    """The database was written by a newer imkit than this one."""


async def apply_migrations(conn: aiosqlite.Connection, migrations: Sequence[Migration]) -> int:
    """Bring the schema up to the last migration; return the version now in force.

    Each migration runs in its own transaction together with the version bump, so a
    process killed half-way leaves the database at a whole version.
    """
    numbers = [m.version for m in migrations]
    if numbers != list(range(1, len(migrations) + 1)):
        raise ValueError(f"migrations must be numbered 1..n in order, got {numbers}")
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    current = int(row[0]) if row else 0
    if current > len(migrations):
        raise SchemaTooNew(
            f"database schema version {current} is newer than this imkit ({len(migrations)})"
        )
    for migration in migrations[current:]:
        await conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _split_statements(migration.sql):
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version={migration.version}")
            await conn.execute("COMMIT")
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
    return len(migrations)


def _split_statements(script: str) -> list[str]:
    """Split a script into statements (executescript would commit the open transaction)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
