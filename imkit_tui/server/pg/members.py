"""Each member's own view of a conversation, on PostgreSQL (as server/member_store.py):
read position, settings, history cleared and messages deleted for them only. Every
change takes a change id from the store's counter inside the writer's batch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from imkit_tui.protocol import ConversationState
from imkit_tui.server.member_store import (
    as_member_sees,
    read_move,
    settings_differ,
    settings_given,
    state_of,
)
from imkit_tui.server.pg.audiences import PgAudiences
from imkit_tui.server.pg.writer import PgWriter, affected
from imkit_tui.server.store_records import ChangeIds

_STATE_COLUMNS = (
    "c.type, m.target, COALESCE(m.left_seq, c.max_seq),"
    " CASE WHEN m.left_seq IS NULL THEN c.last_at ELSE COALESCE((SELECT s.sent_at"
    " FROM messages s WHERE s.conv_id = m.conv_id AND s.seq = m.left_seq), c.last_at) END,"
    " m.read_seq, m.muted, m.pinned, m.marked_unread,"
    " CASE WHEN c.type = 1 THEN (SELECT p.read_seq FROM members p"
    " WHERE p.conv_id = m.conv_id AND p.user_id = m.target) END,"
    " m.cleared_seq, ARRAY(SELECT d.seq FROM deleted d"
    " WHERE d.user_id = m.user_id AND d.conv_id = m.conv_id ORDER BY d.seq), c.key, m.conv_id"
)
_STATE_FROM = "FROM members m JOIN conversations c ON c.id = m.conv_id"


async def _reach(conn: asyncpg.Connection, user_id: str, conv_id: int) -> tuple[int, int] | None:
    """The conversation's last seq and the member's cleared mark; None for a non-member."""
    row = await conn.fetchrow(
        "SELECT COALESCE(m.left_seq, c.max_seq), m.cleared_seq FROM members m"
        " JOIN conversations c ON c.id = m.conv_id WHERE m.user_id = $1 AND m.conv_id = $2",
        user_id,
        conv_id,
    )
    return (int(row[0]), int(row[1])) if row is not None else None


class PgMembers:
    """Read positions, settings, deletions and cleared history per member."""

    def __init__(
        self, writer: PgWriter, pool: asyncpg.Pool, changes: ChangeIds, audiences: PgAudiences
    ) -> None:
        self._writer = writer
        self._pool = pool
        self._changes = changes
        self._audiences = audiences

    async def _member_state(self, row: Sequence[Any], user_id: str) -> ConversationState:
        """The state of a _STATE_COLUMNS row in `user_id`'s numbering of the conversation."""
        state = state_of(row, [int(seq) for seq in row[10]])
        view = self._audiences.memory.seq_view(row[11], user_id)
        if not view.hidden:
            return state
        last_at = state.last_at
        if not view.sees(state.max_seq):
            found = await self._pool.fetchval(
                "SELECT sent_at FROM messages WHERE conv_id = $1 AND seq <> ALL($2::bigint[])"
                " ORDER BY seq DESC LIMIT 1",
                row[12],
                list(view.hidden),
            )
            last_at = int(found) if found is not None else 0
        return as_member_sees(state, view, last_at)

    async def changed_conversations(
        self, user_id: str, since: int, limit: int
    ) -> tuple[list[ConversationState], int, bool]:
        """The user's conversations changed after cursor `since`, oldest change first;
        the cursor to ask from next, and whether more are waiting."""
        await self._audiences.catch_up(self._pool)
        rows = await self._pool.fetch(
            f"SELECT {_STATE_COLUMNS}, CASE WHEN m.left_seq IS NULL"
            " THEN GREATEST(c.change_id, m.state_change) ELSE m.state_change END AS changed"
            f" {_STATE_FROM} WHERE m.user_id = $1"
            " AND ((c.change_id > $2 AND m.left_seq IS NULL) OR m.state_change > $2)"
            " ORDER BY changed LIMIT $3",
            user_id,
            since,
            limit + 1,
        )
        has_more = len(rows) > limit
        rows = rows[:limit]
        states = [await self._member_state(row, user_id) for row in rows]
        cursor_value = int(rows[-1][-1]) if rows else since
        return states, cursor_value, has_more

    async def conversation_state(self, user_id: str, conv_id: int) -> ConversationState | None:
        """How `user_id` sees a conversation now (None when not a member)."""
        await self._audiences.catch_up(self._pool)
        row = await self._pool.fetchrow(
            f"SELECT {_STATE_COLUMNS} {_STATE_FROM} WHERE m.user_id = $1 AND m.conv_id = $2",
            user_id,
            conv_id,
        )
        return await self._member_state(row, user_id) if row is not None else None

    async def mark_read(self, user_id: str, conv_id: int, seq: int) -> list[str]:
        """Move `user_id`'s read position forward to `seq` (at most the last message);
        the users whose view changed (the reader, and a private chat's peer)."""

        async def job(conn: asyncpg.Connection) -> list[str]:
            row = await conn.fetchrow(
                "SELECT m.read_seq, m.marked_unread, m.target, c.type,"
                " COALESCE(m.left_seq, c.max_seq)"
                " FROM members m JOIN conversations c ON c.id = m.conv_id"
                " WHERE m.user_id = $1 AND m.conv_id = $2",
                user_id,
                conv_id,
            )
            move = read_move(row, seq, user_id)
            if move is None:
                return []
            change_id = self._changes.next()
            await conn.execute(
                "UPDATE members SET read_seq = $1, marked_unread = 0, state_change = $2"
                " WHERE user_id = $3 AND conv_id = $4",
                move.seq,
                change_id,
                user_id,
                conv_id,
            )
            changed = [user_id]
            if move.peer is not None:
                await self._bump(conn, move.peer, conv_id, change_id)
                changed.append(move.peer)
            return changed

        return await self._writer.submit(job)

    async def update_settings(
        self,
        user_id: str,
        conv_id: int,
        *,
        muted: bool | None,
        pinned: bool | None,
        marked_unread: bool | None,
    ) -> bool:
        """Change the user's settings of a conversation; False when nothing changed."""
        given = settings_given(muted, pinned, marked_unread)

        async def job(conn: asyncpg.Connection) -> bool:
            row = await conn.fetchrow(
                "SELECT muted, pinned, marked_unread FROM members"
                " WHERE user_id = $1 AND conv_id = $2",
                user_id,
                conv_id,
            )
            if not settings_differ(row, given):
                return False
            change_id = self._changes.next()
            assignments = ", ".join(f"{name} = ${n}" for n, name in enumerate(given, 4))
            await conn.execute(
                f"UPDATE members SET {assignments}, state_change = $1"
                " WHERE user_id = $2 AND conv_id = $3",
                change_id,
                user_id,
                conv_id,
                *given.values(),
            )
            return True

        return await self._writer.submit(job)

    async def delete_for(self, user_id: str, conv_id: int, seqs: Sequence[int]) -> bool:
        """Hide messages from `user_id` only; False when nothing new was hidden."""

        async def job(conn: asyncpg.Connection) -> bool:
            reach = await _reach(conn, user_id, conv_id)
            if reach is None:
                return False
            wanted = sorted(seq for seq in set(seqs) if reach[1] < seq <= reach[0])
            status = await conn.execute(
                "INSERT INTO deleted(user_id, conv_id, seq)"
                " SELECT $1, $2, unnest($3::bigint[]) ON CONFLICT DO NOTHING",
                user_id,
                conv_id,
                wanted,
            )
            if not affected(status):
                return False
            await self._bump(conn, user_id, conv_id, self._changes.next())
            return True

        return await self._writer.submit(job)

    async def clear_for(self, user_id: str, conv_id: int, seq: int) -> bool:
        """Clear `user_id`'s history up to `seq` (at most the last message); it counts as
        read. False when the mark did not move."""

        async def job(conn: asyncpg.Connection) -> bool:
            reach = await _reach(conn, user_id, conv_id)
            if reach is None:
                return False
            cleared = min(seq, reach[0])
            if cleared <= reach[1]:
                return False
            await conn.execute(
                "UPDATE members SET cleared_seq = $1, read_seq = GREATEST(read_seq, $1)"
                " WHERE user_id = $2 AND conv_id = $3",
                cleared,
                user_id,
                conv_id,
            )
            await conn.execute(
                "DELETE FROM deleted WHERE user_id = $1 AND conv_id = $2 AND seq <= $3",
                user_id,
                conv_id,
                cleared,
            )
            await self._bump(conn, user_id, conv_id, self._changes.next())
            return True

        return await self._writer.submit(job)

    async def hidden_for(self, user_id: str, conv_id: int) -> tuple[int, set[int], int | None]:
        """Up to which seq `user_id` cleared the history, the seqs they deleted, and the
        seq they left the conversation at (None while a member)."""
        row = await self._pool.fetchrow(
            "SELECT m.cleared_seq, m.left_seq, ARRAY(SELECT d.seq FROM deleted d"
            " WHERE d.user_id = m.user_id AND d.conv_id = m.conv_id)"
            " FROM members m WHERE m.user_id = $1 AND m.conv_id = $2",
            user_id,
            conv_id,
        )
        if row is None:
            return 0, set(), None
        left = None if row[1] is None else int(row[1])
        return int(row[0]), {int(seq) for seq in row[2]}, left

    @staticmethod
    async def _bump(conn: asyncpg.Connection, user_id: str, conv_id: int, change_id: int) -> None:
        await conn.execute(
            "UPDATE members SET state_change = $1 WHERE user_id = $2 AND conv_id = $3",
            change_id,
            user_id,
            conv_id,
        )
