"""The local store's side of read positions and settings (DND, pin, marked unread).

A change made on this device is written at once with a "pending" flag, so the UI never
waits and nothing is lost offline; the state sync sends pending changes when connected
and clears the flag once the server's answer covers them. States from the server (sync,
pushes from other devices, the peer's read receipts) are merged: read positions only move
forward, and a setting changed here and not yet confirmed wins over an older one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from imkit_tui.core.models import Conversation
from imkit_tui.core.receipts import answer_read
from imkit_tui.core.sql import CONVERSATION_COLUMNS, conversation_from_row, recount_unread
from imkit_tui.protocol import ConversationState, ConvRef

if TYPE_CHECKING:
    from imkit_tui.core.store_parts import StoreParts


@dataclass(frozen=True, slots=True)
class PendingSettings:
    """Settings changed on this device and not yet confirmed by the server."""

    conv: ConvRef
    muted: bool
    pinned: bool
    marked_unread: bool


def _row(conn: sqlite3.Connection, conv_id: int) -> Conversation:
    row = conn.execute(
        f"SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = ?", (conv_id,)
    ).fetchone()
    return conversation_from_row(row)


class StateTable:
    """`store.state`: read positions and settings."""

    def __init__(self, parts: StoreParts) -> None:
        self._writer = parts.writer
        self._conversation_id = parts.conversation_id

    async def mark_read(self, conv: ConvRef) -> Conversation:
        """Everything received in `conv` so far is read; clears "marked unread".

        The read position only moves forward; the change waits to be sent to the server.
        """

        def job(conn: sqlite3.Connection) -> Conversation:
            conv_id = self._conversation_id(conn, conv)
            conn.execute(
                "UPDATE conversations SET read_pending = read_pending"
                " OR MAX(last_seq, synced_seq) > read_seq OR marked_unread,"
                " read_seq = MAX(read_seq, last_seq, synced_seq), marked_unread = 0"
                " WHERE id = ?",
                (conv_id,),
            )
            recount_unread(conn, conv_id)
            answer_read(conn, conv_id)
            return _row(conn, conv_id)

        return await self._writer.submit(job)

    async def change_settings(
        self,
        conv: ConvRef,
        *,
        muted: bool | None = None,
        pinned: bool | None = None,
        marked_unread: bool | None = None,
    ) -> Conversation:
        """Change DND, pin or "marked unread" here; the change waits to be sent."""
        given = {"muted": muted, "pinned": pinned, "marked_unread": marked_unread}
        changes = {name: int(value) for name, value in given.items() if value is not None}

        def job(conn: sqlite3.Connection) -> Conversation:
            conv_id = self._conversation_id(conn, conv)
            if changes:
                assignments = ", ".join(f"{name} = ?" for name in changes)
                conn.execute(
                    f"UPDATE conversations SET {assignments}, settings_pending = 1 WHERE id = ?",
                    (*changes.values(), conv_id),
                )
            return _row(conn, conv_id)

        return await self._writer.submit(job)

    async def apply_state(
        self,
        state: ConversationState,
        *,
        answers_read: bool = False,
        answers_settings: bool = False,
    ) -> Conversation:
        """Merge a state from the server into the conversation's row.

        `answers_read` / `answers_settings` say the state answers this device's own
        pending change, which it then clears (when it covers the local read position).
        """
        job = self._state_job(state, answers_read, answers_settings)
        return await self._writer.submit(job)

    async def apply_states(self, states: Sequence[ConversationState]) -> list[Conversation]:
        """Merge states from the server (a sync page) in one transaction; the new rows."""
        jobs = [self._state_job(state, False, False) for state in states]
        if not jobs:
            return []
        return await self._writer.submit(lambda conn: [job(conn) for job in jobs])

    def _state_job(
        self, state: ConversationState, answers_read: bool, answers_settings: bool
    ) -> Callable[[sqlite3.Connection], Conversation]:
        def job(conn: sqlite3.Connection) -> Conversation:
            conv_id = self._conversation_id(conn, state.conv)
            before = conn.execute(
                "SELECT read_seq, settings_pending FROM conversations WHERE id = ?", (conv_id,)
            ).fetchone()
            settings_pending = bool(before[1]) and not answers_settings
            conn.execute(
                "UPDATE conversations SET read_seq = MAX(read_seq, ?),"
                " peer_read_seq = MAX(peer_read_seq, ?),"
                " read_pending = CASE WHEN ? AND ? >= read_seq THEN 0 ELSE read_pending END"
                " WHERE id = ?",
                (state.read_seq, state.peer_read_seq, answers_read, state.read_seq, conv_id),
            )
            if not settings_pending:
                conn.execute(
                    "UPDATE conversations SET muted = ?, pinned = ?, marked_unread = ?,"
                    " settings_pending = 0 WHERE id = ?",
                    (state.muted, state.pinned, state.marked_unread, conv_id),
                )
            if state.read_seq > before[0]:
                recount_unread(conn, conv_id)
            return _row(conn, conv_id)

        return job

    async def drop_pending(self, conv: ConvRef) -> None:
        """Forget unsent changes the server refused for good (no such chat, not a member)."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE conversations SET read_pending = 0, settings_pending = 0 WHERE id = ?",
                (self._conversation_id(conn, conv),),
            )

        await self._writer.submit(job)

    async def pending_reads(self) -> list[tuple[ConvRef, int]]:
        """Read positions changed here and not yet confirmed: (conversation, read_seq)."""

        def read(conn: sqlite3.Connection) -> list[tuple[ConvRef, int]]:
            rows = conn.execute(
                "SELECT type, target, channel, read_seq FROM conversations WHERE read_pending = 1"
            ).fetchall()
            return [(ConvRef(type=r[0], target=r[1], channel=r[2]), int(r[3])) for r in rows]

        return await self._writer.submit(read)

    async def pending_settings(self) -> list[PendingSettings]:
        """Settings changed here and not yet confirmed by the server."""

        def read(conn: sqlite3.Connection) -> list[PendingSettings]:
            rows = conn.execute(
                "SELECT type, target, channel, muted, pinned, marked_unread FROM conversations"
                " WHERE settings_pending = 1"
            ).fetchall()
            return [
                PendingSettings(
                    ConvRef(type=r[0], target=r[1], channel=r[2]),
                    bool(r[3]),
                    bool(r[4]),
                    bool(r[5]),
                )
                for r in rows
            ]

        return await self._writer.submit(read)
