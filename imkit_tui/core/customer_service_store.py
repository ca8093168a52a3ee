"""`store.customer_service`: where each conversation with a customer service stands
(the `cs_state` table, migration 17)."""

from __future__ import annotations

import sqlite3

from imkit_tui.core.customer_service_state import CsState
from imkit_tui.core.store_parts import StoreParts


class CsStateTable:
    """Reads and writes of `cs_state`, one JSON row per account."""

    def __init__(self, parts: StoreParts) -> None:
        self._reader = parts.reader
        self._writer = parts.writer

    async def get(self, account: str) -> CsState:
        """The state of the conversation with `account` (a fresh one when none)."""
        row = await self._reader.fetch_one(
            "SELECT body FROM cs_state WHERE account = ?", (account,)
        )
        return CsState.decode(account, str(row[0])) if row else CsState(account)

    async def put(self, state: CsState) -> None:
        """Keep `state`."""
        body = state.encode()

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO cs_state(account, body) VALUES (?, ?)"
                " ON CONFLICT(account) DO UPDATE SET body = excluded.body",
                (state.account, body),
            )

        await self._writer.submit(job)
