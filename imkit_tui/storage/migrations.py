"""Numbered schema migrations, tracked in SQLite's `user_version`."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from imkit_tui.storage.database import Database


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step. `version` counts from 1; `sql` is a script of statements."""

    version: int
    description: str
    sql: str


class SchemaTooNew(RuntimeError):
    """The database was written by a newer imkit than this one."""


async def apply_migrations(database: Database, migrations: Sequence[Migration]) -> int:
    """Bring the schema up to the last migration; return the version now in force.

    Each migration runs in its own write transaction together with the version bump,
    so a process killed half-way leaves the database at a whole version, and processes
    opening a new database at the same moment migrate it once, one after the other.
    """
    numbers = [m.version for m in migrations]
    if numbers != list(range(1, len(migrations) + 1)):
        raise ValueError(f"migrations must be numbered 1..n in order, got {numbers}")
    return await database.run(lambda conn: _migrate(conn, migrations))


def _migrate(conn: sqlite3.Connection, migrations: Sequence[Migration]) -> int:
    while True:
        # The version is read inside the write transaction: another process opening the
        # same database at the same moment waits here, then sees what the first did.
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if current > len(migrations):
                raise SchemaTooNew(
                    f"database schema version {current} is newer than this imkit "
                    f"({len(migrations)})"
                )
            if current == len(migrations):
                conn.execute("COMMIT")
                return current
            migration = migrations[current]
            for statement in _split_statements(migration.sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={migration.version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


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
