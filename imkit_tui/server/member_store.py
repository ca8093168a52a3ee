"""Each member's own view of a conversation in the server store.

Read position, settings (do not disturb, pinned, marked unread), history cleared up to a
seq, and messages deleted for this member only. Every change takes a change id from the
store's counter, so a device that was away finds it in its next sync. The store's
`members`: the jobs run on its writer, the reads on its reader.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from imkit_tui.protocol import ConversationState, ConvRef
from imkit_tui.server.seq_views import SeqView
from imkit_tui.server.store_records import ChangeIds
from imkit_tui.server.targeted_store import TargetedStore
from imkit_tui.storage import BatchWriter, Database

_PRIVATE = 1
# How a member sees a conversation; the peer's read position only exists in a private
# chat, where the member's target is the peer.
_STATE_COLUMNS = (
    "c.type, m.target, COALESCE(m.left_seq, c.max_seq),"
    " CASE WHEN m.left_seq IS NULL THEN c.last_at ELSE COALESCE((SELECT s.sent_at"
    " FROM messages s WHERE s.conv_id = m.conv_id AND s.seq = m.left_seq), c.last_at) END,"
    " m.read_seq, m.muted, m.pinned, m.marked_unread,"
    " CASE WHEN c.type = 1 THEN (SELECT p.read_seq FROM members p"
    " WHERE p.conv_id = m.conv_id AND p.user_id = m.target) END,"
    " m.cleared_seq, (SELECT group_concat(d.seq) FROM deleted d"
    " WHERE d.user_id = m.user_id AND d.conv_id = m.conv_id), c.key, m.conv_id"
)
_STATE_FROM = "FROM members m JOIN conversations c ON c.id = m.conv_id"


def _state(row: Sequence[Any]) -> ConversationState:
    """A ConversationState from a row of _STATE_COLUMNS."""
    deleted = sorted(int(seq) for seq in row[10].split(",")) if row[10] else []
    return state_of(row, deleted)


def state_of(row: Sequence[Any], deleted_seqs: list[int]) -> ConversationState:
    """A ConversationState from a row of the state columns (type, target, max seq, last
    at, read seq, muted, pinned, marked unread, peer's read seq, cleared seq, …) and
    the seqs the member deleted."""
    return ConversationState(
        conv=ConvRef(type=row[0], target=row[1]),
        max_seq=row[2],
        last_at=row[3],
        read_seq=row[4],
        muted=bool(row[5]),
        pinned=bool(row[6]),
        marked_unread=bool(row[7]),
        peer_read_seq=row[8] or 0,
        cleared_seq=row[9],
        deleted_seqs=deleted_seqs,
    )


def as_member_sees(state: ConversationState, view: SeqView, last_at: int) -> ConversationState:
    """`state` (in conversation seqs) in a member's numbering `view`, with `last_at`
    the time of the last message they see."""
    return msgspec.structs.replace(
        state,
        max_seq=view.to_member(state.max_seq),
        last_at=last_at,
        read_seq=view.to_member(state.read_seq),
        cleared_seq=view.to_member(state.cleared_seq),
        deleted_seqs=view.to_members(state.deleted_seqs),
    )


@dataclass(frozen=True, slots=True)
class ReadMove:
    """Where a member's read position goes, and the private chat's peer who sees the
    move as a read receipt (None: nobody else)."""

    seq: int
    peer: str | None


def read_move(row: Sequence[Any] | None, seq: int, user_id: str) -> ReadMove | None:
    """How marking `seq` read moves `user_id`'s position, from their (read_seq,
    marked_unread, target, conversation type, last seq they may read); None: no change
    (no member, or the position stays and nothing was marked unread)."""
    if row is None:
        return None
    read_seq, marked, target, conv_type, max_seq = row
    new_seq = max(read_seq, min(seq, max_seq))
    if new_seq == read_seq and not marked:
        return None
    seen = conv_type == _PRIVATE and new_seq != read_seq and target != user_id
    return ReadMove(seq=new_seq, peer=target if seen else None)


def settings_given(
    muted: bool | None, pinned: bool | None, marked_unread: bool | None
) -> dict[str, int]:
    """The member settings a change names (columns of members), as stored; None: kept."""
    wanted = {"muted": muted, "pinned": pinned, "marked_unread": marked_unread}
    return {name: int(value) for name, value in wanted.items() if value is not None}


def settings_differ(current: Sequence[Any] | None, given: dict[str, int]) -> bool:
    """Whether `given` changes a member's settings, `current` their stored (muted,
    pinned, marked_unread), None when they are no member."""
    if current is None:
        return False
    stored = dict(zip(("muted", "pinned", "marked_unread"), current, strict=True))
    return any(stored[name] != value for name, value in given.items())


def _reach(conn: sqlite3.Connection, user_id: str, conv_id: int) -> tuple[int, int] | None:
    """The conversation's last seq and the member's cleared mark; None for a non-member."""
    row = conn.execute(
        "SELECT COALESCE(m.left_seq, c.max_seq), m.cleared_seq FROM members m"
        " JOIN conversations c ON c.id = m.conv_id WHERE m.user_id = ? AND m.conv_id = ?",
        (user_id, conv_id),
    ).fetchone()
    return (int(row[0]), int(row[1])) if row is not None else None


class MemberStore:
    """Read positions, settings, deletions and cleared history per member."""

    def __init__(
        self, writer: BatchWriter, reader: Database, changes: ChangeIds, audiences: TargetedStore
    ) -> None:
        self._writer = writer
        self._reader = reader
        self._changes = changes
        self._audiences = audiences

    async def _member_state(self, row: Sequence[Any], user_id: str) -> ConversationState:
        """The state of a _STATE_COLUMNS row in `user_id`'s numbering of the conversation."""
        state = _state(row)
        view = self._audiences.seq_view(row[11], user_id)
        if not view.hidden:
            return state
        last_at = state.last_at
        if not view.sees(state.max_seq):
            found = await self._reader.fetch_one(
                "SELECT sent_at FROM messages WHERE conv_id = ? AND seq NOT IN"
                " (SELECT value FROM json_each(?)) ORDER BY seq DESC LIMIT 1",
                (row[12], json.dumps(view.hidden)),
            )
            last_at = int(found[0]) if found else 0
        return as_member_sees(state, view, last_at)

    async def changed_conversations(
        self, user_id: str, since: int, limit: int
    ) -> tuple[list[ConversationState], int, bool]:
        """The user's conversations changed after cursor `since`, oldest change first.

        A change is a new message or a change of the user's own state (read position,
        settings, the peer's read position). Returns the states, the cursor to ask from
        next, and whether more are waiting. The cost is one pass over the user's
        memberships, not over history.
        """
        rows = await self._reader.fetch_all(
            f"SELECT {_STATE_COLUMNS}, CASE WHEN m.left_seq IS NULL"
            " THEN MAX(c.change_id, m.state_change) ELSE m.state_change END AS changed"
            f" {_STATE_FROM} WHERE m.user_id = ?"
            " AND ((c.change_id > ? AND m.left_seq IS NULL) OR m.state_change > ?)"
            " ORDER BY changed LIMIT ?",
            (user_id, since, since, limit + 1),
        )
        has_more = len(rows) > limit
        rows = rows[:limit]
        states = [await self._member_state(row, user_id) for row in rows]
        cursor_value = rows[-1][-1] if rows else since
        return states, cursor_value, has_more

    async def conversation_state(self, user_id: str, conv_id: int) -> ConversationState | None:
        """How `user_id` sees a conversation now (None when not a member)."""
        row = await self._reader.fetch_one(
            f"SELECT {_STATE_COLUMNS} {_STATE_FROM} WHERE m.user_id = ? AND m.conv_id = ?",
            (user_id, conv_id),
        )
        return await self._member_state(row, user_id) if row is not None else None

    async def mark_read(self, user_id: str, conv_id: int, seq: int) -> list[str]:
        """Move `user_id`'s read position forward to `seq` (at most the last message).

        Clears the user's "marked unread". Returns the users whose view changed: the
        reader and, in a private chat, the peer (who sees it as a read receipt); empty
        when the position did not move.
        """

        def job(conn: sqlite3.Connection) -> list[str]:
            row = conn.execute(
                "SELECT m.read_seq, m.marked_unread, m.target, c.type,"
                " COALESCE(m.left_seq, c.max_seq)"
                " FROM members m JOIN conversations c ON c.id = m.conv_id"
                " WHERE m.user_id = ? AND m.conv_id = ?",
                (user_id, conv_id),
            ).fetchone()
            move = read_move(row, seq, user_id)
            if move is None:
                return []
            change_id = self._changes.next()
            conn.execute(
                "UPDATE members SET read_seq = ?, marked_unread = 0, state_change = ?"
                " WHERE user_id = ? AND conv_id = ?",
                (move.seq, change_id, user_id, conv_id),
            )
            changed = [user_id]
            if move.peer is not None:
                conn.execute(
                    "UPDATE members SET state_change = ? WHERE user_id = ? AND conv_id = ?",
                    (change_id, move.peer, conv_id),
                )
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

        def job(conn: sqlite3.Connection) -> bool:
            row = conn.execute(
                "SELECT muted, pinned, marked_unread FROM members"
                " WHERE user_id = ? AND conv_id = ?",
                (user_id, conv_id),
            ).fetchone()
            if not settings_differ(row, given):
                return False
            change_id = self._changes.next()
            assignments = ", ".join(f"{name} = ?" for name in given)
            conn.execute(
                f"UPDATE members SET {assignments}, state_change = ?"
                " WHERE user_id = ? AND conv_id = ?",
                (*given.values(), change_id, user_id, conv_id),
            )
            return True

        return await self._writer.submit(job)

    async def delete_for(self, user_id: str, conv_id: int, seqs: Sequence[int]) -> bool:
        """Hide messages from `user_id` only; False when nothing new was hidden."""

        def job(conn: sqlite3.Connection) -> bool:
            row = _reach(conn, user_id, conv_id)
            if row is None:
                return False
            wanted = [(user_id, conv_id, seq) for seq in set(seqs) if row[1] < seq <= row[0]]
            before = conn.total_changes
            conn.executemany("INSERT OR IGNORE INTO deleted VALUES (?, ?, ?)", wanted)
            if conn.total_changes == before:
                return False
            self._bump(conn, user_id, conv_id)
            return True

        return await self._writer.submit(job)

    async def clear_for(self, user_id: str, conv_id: int, seq: int) -> bool:
        """Clear `user_id`'s history up to `seq` (at most the last message); it counts as
        read. False when the mark did not move."""

        def job(conn: sqlite3.Connection) -> bool:
            row = _reach(conn, user_id, conv_id)
            if row is None:
                return False
            cleared = min(seq, row[0])
            if cleared <= row[1]:
                return False
            conn.execute(
                "UPDATE members SET cleared_seq = ?, read_seq = MAX(read_seq, ?)"
                " WHERE user_id = ? AND conv_id = ?",
                (cleared, cleared, user_id, conv_id),
            )
            conn.execute(
                "DELETE FROM deleted WHERE user_id = ? AND conv_id = ? AND seq <= ?",
                (user_id, conv_id, cleared),
            )
            self._bump(conn, user_id, conv_id)
            return True

        return await self._writer.submit(job)

    async def hidden_for(self, user_id: str, conv_id: int) -> tuple[int, set[int], int | None]:
        """Up to which seq `user_id` cleared the history, the seqs they deleted, and the
        seq they left the conversation at (None while a member)."""
        rows = await self._reader.fetch_all(
            "SELECT m.cleared_seq, m.left_seq, d.seq FROM members m LEFT JOIN deleted d"
            " ON d.user_id = m.user_id AND d.conv_id = m.conv_id"
            " WHERE m.user_id = ? AND m.conv_id = ?",
            (user_id, conv_id),
        )
        if not rows:
            return 0, set(), None
        left = None if rows[0][1] is None else int(rows[0][1])
        return int(rows[0][0]), {int(r[2]) for r in rows if r[2] is not None}, left

    def _bump(self, conn: sqlite3.Connection, user_id: str, conv_id: int) -> None:
        change_id = self._changes.next()
        conn.execute(
            "UPDATE members SET state_change = ? WHERE user_id = ? AND conv_id = ?",
            (change_id, user_id, conv_id),
        )
