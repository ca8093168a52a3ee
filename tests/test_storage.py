"""SQLite plumbing: the database thread, numbered migrations and the batching writer."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from imkit_tui.storage import BatchWriter, Database, Migration, SchemaTooNew, apply_migrations

STEPS = (
    Migration(1, "t", "CREATE TABLE t (x INTEGER UNIQUE);"),
    Migration(2, "u", "CREATE TABLE u (y TEXT);\nINSERT INTO u VALUES ('a;b');"),
)


async def test_migrations_apply_once_in_order_and_refuse_newer_schemas(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "db.sqlite")
    try:
        assert await apply_migrations(db, STEPS[:1]) == 1
        assert await apply_migrations(db, STEPS) == 2
        assert await apply_migrations(db, STEPS) == 2  # nothing to do the second time
        assert await db.fetch_all("SELECT y FROM u") == [("a;b",)]
        assert await db.fetch_one("PRAGMA journal_mode") == ("wal",)
        with pytest.raises(SchemaTooNew):
            await apply_migrations(db, STEPS[:1])
    finally:
        await db.close()


async def test_a_broken_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "db.sqlite")
    broken = (*STEPS[:1], Migration(2, "bad", "CREATE TABLE v (z);\nNOT SQL AT ALL;"))
    try:
        with pytest.raises(sqlite3.OperationalError):
            await apply_migrations(db, broken)
        assert await db.fetch_one("PRAGMA user_version") == (1,)
        assert await db.fetch_all("SELECT name FROM sqlite_master WHERE name = 'v'") == []
        with pytest.raises(ValueError):
            await apply_migrations(db, (Migration(2, "x", "SELECT 1;"),))
    finally:
        await db.close()


def _insert(value: int):  # type: ignore[no-untyped-def]
    def job(conn: sqlite3.Connection) -> int:
        conn.execute("INSERT INTO t VALUES (?)", (value,))
        return value

    return job


async def test_a_failing_job_fails_alone_and_the_rest_of_its_batch_commits(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "db.sqlite")
    await apply_migrations(db, STEPS)
    rollbacks = 0

    def on_rollback(conn: sqlite3.Connection) -> None:
        nonlocal rollbacks
        rollbacks += 1

    writer = BatchWriter(db, on_rollback=on_rollback)
    writer.start()
    # Queued together, so they share one transaction until the duplicate breaks it.
    futures = [writer.submit_nowait(_insert(v)) for v in (1, 2, 2, 3)]
    results = await asyncio.gather(*futures, return_exceptions=True)
    assert results[0] == 1 and results[1] == 2 and results[3] == 3
    assert isinstance(results[2], sqlite3.IntegrityError)
    assert rollbacks >= 1
    await writer.close()
    assert await db.fetch_all("SELECT x FROM t ORDER BY x") == [(1,), (2,), (3,)]
    await db.close()


async def test_queued_writes_share_one_commit(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "db.sqlite")
    await apply_migrations(db, STEPS)
    statements: list[str] = []
    await db.run(lambda conn: conn.set_trace_callback(statements.append))
    writer = BatchWriter(db)
    writer.start()
    await asyncio.gather(*(writer.submit_nowait(_insert(v)) for v in range(100)))
    assert statements.count("COMMIT") == 1
    assert len(await db.fetch_all("SELECT x FROM t")) == 100
    await writer.close()
    await db.close()


async def test_closed_writer_and_database_refuse_work(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "db.sqlite")
    writer = BatchWriter(db)
    writer.start()
    await writer.flush()
    await writer.close()
    with pytest.raises(RuntimeError):
        writer.submit_nowait(lambda conn: None)
    await db.close()
    with pytest.raises(sqlite3.ProgrammingError):
        await db.fetch_all("SELECT 1")
