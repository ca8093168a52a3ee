"""SQLite plumbing: numbered migrations and the batching writer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiosqlite
import pytest

from imkit_tui.storage import BatchWriter, Migration, apply_migrations, open_database
from imkit_tui.storage.migrations import SchemaTooNew

STEPS = (
    Migration(1, "t", "CREATE TABLE t (x INTEGER UNIQUE);"),
    Migration(2, "u", "CREATE TABLE u (y TEXT);\nINSERT INTO u VALUES ('a;b');"),
)


async def test_migrations_apply_once_in_order_and_refuse_newer_schemas(tmp_path: Path) -> None:
    conn = await open_database(tmp_path / "db.sqlite")
    try:
        assert await apply_migrations(conn, STEPS[:1]) == 1
        assert await apply_migrations(conn, STEPS) == 2
        assert await apply_migrations(conn, STEPS) == 2  # nothing to do the second time
        async with conn.execute("SELECT y FROM u") as cursor:
            assert await cursor.fetchall() == [("a;b",)]
        async with conn.execute("PRAGMA journal_mode") as cursor:
            assert (await cursor.fetchone()) == ("wal",)
        with pytest.raises(SchemaTooNew):
            await apply_migrations(conn, STEPS[:1])
    finally:
        await conn.close()


async def test_misnumbered_migrations_are_a_programming_error(tmp_path: Path) -> None:
    conn = await open_database(tmp_path / "db.sqlite")
    try:
        with pytest.raises(ValueError):
            await apply_migrations(conn, (Migration(2, "x", "SELECT 1;"),))
    finally:
        await conn.close()


async def test_a_failing_job_fails_alone_and_the_batch_commits(tmp_path: Path) -> None:
    conn = await open_database(tmp_path / "db.sqlite")
    await apply_migrations(conn, STEPS)
    rollbacks = 0

    async def on_rollback() -> None:
        nonlocal rollbacks
        rollbacks += 1

    writer = BatchWriter(conn, on_rollback=on_rollback)
    writer.start()

    def insert(value: int):  # type: ignore[no-untyped-def]
        async def job(c: aiosqlite.Connection) -> int:
            await c.execute("INSERT INTO t VALUES (?)", (value,))
            return value

        return job

    # Queued together, so they share one transaction until the duplicate breaks it.
    futures = [writer.submit_nowait(insert(v)) for v in (1, 2, 2, 3)]
    results = await asyncio.gather(*futures, return_exceptions=True)
    assert results[0] == 1 and results[1] == 2 and results[3] == 3
    assert isinstance(results[2], aiosqlite.IntegrityError)
    assert rollbacks >= 1
    await writer.close()
    async with conn.execute("SELECT x FROM t ORDER BY x") as cursor:
        assert await cursor.fetchall() == [(1,), (2,), (3,)]
    await conn.close()


async def test_closed_writer_refuses_new_jobs(tmp_path: Path) -> None:
    conn = await open_database(tmp_path / "db.sqlite")
    writer = BatchWriter(conn)
    writer.start()
    await writer.flush()
    await writer.close()
    with pytest.raises(RuntimeError):
        writer.submit_nowait(lambda c: asyncio.sleep(0))  # type: ignore[arg-type,return-value]
    await conn.close()
