"""The services some tests need beside the code: PostgreSQL (and NATS), as the machines
this project builds on run them locally. A test that needs one skips with the reason
when it cannot be reached, unless IMKIT_REQUIRE_SERVICES is set (CI, `.ci/run`): a
missing service fails the run there instead of hiding the tests."""

from __future__ import annotations

import asyncio
import functools
import itertools
import os
import socket
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest

POSTGRES_URL = os.environ.get("IMKIT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
"""The database the PostgreSQL tests use; each test gets a schema of its own in it."""
NATS_URL = os.environ.get("IMKIT_TEST_NATS", "nats://127.0.0.1:4222")
"""The NATS server (with JetStream) the bus tests use."""
REQUIRED = bool(os.environ.get("IMKIT_REQUIRE_SERVICES"))
"""Set by CI: a service that cannot be reached fails the test instead of skipping it."""

T = TypeVar("T")
_schemas = itertools.count()
_made: list[str] = []


def run_aside(work: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion on a loop of its own, in another thread (usable from
    sync code, and from a test whose own loop is running)."""
    result: list[Any] = []

    def target() -> None:
        try:
            result.append(asyncio.run(work()))  # type: ignore[arg-type]
        except BaseException as exc:  # handed over to the caller
            result.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]  # type: ignore[no-any-return]


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 2):
            return True
    except OSError:
        return False


@functools.cache
def postgres_missing() -> str:
    """Why PostgreSQL cannot be used ("" when it can)."""
    if not _reachable(POSTGRES_URL):
        return f"PostgreSQL is not reachable at {POSTGRES_URL} (set IMKIT_TEST_POSTGRES)"
    try:
        import asyncpg  # noqa: F401
    except ImportError:
        return "asyncpg is not installed"
    return ""


@functools.cache
def nats_missing() -> str:
    """Why NATS cannot be used ("" when it can)."""
    if not _reachable(NATS_URL):
        return f"NATS is not reachable at {NATS_URL} (set IMKIT_TEST_NATS)"
    return ""


def need(missing: str) -> None:
    """Skip the calling test when `missing` says why a service is not there (fail
    instead under IMKIT_REQUIRE_SERVICES)."""
    if not missing:
        return
    if REQUIRED:
        pytest.fail(f"{missing}; IMKIT_REQUIRE_SERVICES is set, so this is a failure")
    pytest.skip(missing)


def fresh_schema_url() -> str:
    """The test database's URL with a schema no other test (or test run) uses."""
    need(postgres_missing())
    name = f"t{os.getpid()}_{next(_schemas)}"
    _made.append(name)
    joiner = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{joiner}search_path={name}"


def drop_schemas() -> None:
    """Drop the schemas this run made (at the end of the run)."""
    if not _made:
        return

    async def drop() -> None:
        import asyncpg

        conn = await asyncpg.connect(POSTGRES_URL)
        try:
            for name in _made:
                await conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        finally:
            await conn.close()

    run_aside(drop)
    _made.clear()


def token_version(store_url: str, user: str) -> int:
    """`user`'s token version in the PostgreSQL store at `store_url` (0: none)."""

    async def read() -> int:
        import asyncpg

        conn = await asyncpg.connect(store_url)
        try:
            found = await conn.fetchval(
                "SELECT version FROM token_versions WHERE user_id = $1", user
            )
        except asyncpg.UndefinedTableError:
            return 0
        finally:
            await conn.close()
        return int(found) if found is not None else 0

    return run_aside(read)


def pg_seed_messages(store_url: str, key: str, first: int, last: int, start_ms: int) -> None:
    """Store seqs `first`..`last` of conversation `key` as alice's texts ("seeded"),
    sent at `start_ms` + seq, in one statement (the history-cost tests' long histories);
    the conversation's row is left to the caller."""
    pg_execute(
        store_url,
        "INSERT INTO messages(conv_id, seq, uid, sender, cmid, object_name, content, sent_at)"
        " SELECT c.id, g, 'seed-' || lpad(g::text, 8, '0'), 'alice', 'c' || g, 'RC:TxtMsg',"
        ' \'{"content":"seeded"}\', $1::bigint + g FROM conversations c,'
        " generate_series($2::bigint, $3::bigint) g WHERE c.key = $4",
        start_ms,
        first,
        last,
        key,
    )


def pg_execute(store_url: str, sql: str, *args: object) -> None:
    """Run one statement on the PostgreSQL store at `store_url` (from sync test code)."""

    async def run() -> None:
        import asyncpg

        conn = await asyncpg.connect(store_url)
        try:
            await conn.execute(sql, *args)
        finally:
            await conn.close()

    run_aside(run)


def pg_fetchval(store_url: str, sql: str, *args: object) -> object:
    """The first value of one query on the PostgreSQL store at `store_url`, read on a
    connection of its own (from sync test code)."""

    async def run() -> object:
        import asyncpg

        conn = await asyncpg.connect(store_url)
        try:
            return await conn.fetchval(sql, *args)
        finally:
            await conn.close()

    return run_aside(run)


def pg_fetch(store_url: str, sql: str, *args: object) -> list[tuple[Any, ...]]:
    """The rows of one query on the PostgreSQL store at `store_url`, read on a connection
    of its own (from sync test code); none while the store has no such table (yet)."""

    async def run() -> list[tuple[Any, ...]]:
        import asyncpg

        conn = await asyncpg.connect(store_url)
        try:
            return [tuple(row) for row in await conn.fetch(sql, *args)]
        except asyncpg.UndefinedTableError:
            return []
        finally:
            await conn.close()

    return run_aside(run)
