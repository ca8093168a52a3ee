"""The PostgreSQL the benches run on (``IMKIT_TEST_POSTGRES``, the tests' default), a
schema of it per run, and dropping those schemas after."""

from __future__ import annotations

import os
from collections.abc import Sequence

POSTGRES = os.environ.get("IMKIT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def schema_url(name: str) -> str:
    """The URL of POSTGRES with its tables in schema `name`."""
    return f"{POSTGRES}{'&' if '?' in POSTGRES else '?'}search_path={name}"


async def drop_schemas(names: Sequence[str]) -> None:
    """Drop the schemas `names` and all in them."""
    import asyncpg

    conn = await asyncpg.connect(POSTGRES)
    try:
        for name in names:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    finally:
        await conn.close()
