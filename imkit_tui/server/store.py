"""The server's store: conversations, members and messages in SQLite.

Writes go through one BatchWriter (group commit), inline on the event loop; reads run on
a second connection's thread, so a reader never sees a batch that is not committed yet
and a large page never stalls the loop.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from imkit_tui.protocol import ConversationState, ConvRef, MessageRecord
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.server.schema import MIGRATIONS
from imkit_tui.storage import BatchWriter, Database, apply_migrations

_json_decode = msgspec.json.Decoder(dict[str, Any]).decode

_PRIVATE = 1
# How a member sees a conversation; the peer's read position only exists in a private
# chat, where the member's target is the peer.
_STATE_COLUMNS = (
    "c.type, m.target, c.max_seq, c.last_at, m.read_seq, m.muted, m.pinned, m.marked_unread,"
    " CASE WHEN c.type = 1 THEN (SELECT p.read_seq FROM members p"
    " WHERE p.conv_id = m.conv_id AND p.user_id = m.target) END"
)
_STATE_FROM = "FROM members m JOIN conversations c ON c.id = m.conv_id"


def _state(row: Sequence[Any]) -> ConversationState:
    """A ConversationState from a row of _STATE_COLUMNS."""
    return ConversationState(
        conv=ConvRef(type=row[0], target=row[1]),
        max_seq=row[2],
        last_at=row[3],
        read_seq=row[4],
        muted=bool(row[5]),
        pinned=bool(row[6]),
        marked_unread=bool(row[7]),
        peer_read_seq=row[8] or 0,
    )


@dataclass(slots=True)
class _ConvCache:
    id: int
    max_seq: int
    last_at: int


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """The result of appending a message: its place in the conversation.

    `duplicate` is True when the sender had already sent this client id; the fields are
    then those of the original message and nothing new was stored.
    """

    uid: str
    seq: int
    sent_at: int
    duplicate: bool


@dataclass(frozen=True, slots=True)
class Member:
    """A member of a conversation and how they see it (`target`)."""

    user_id: str
    target: str


@dataclass(frozen=True, slots=True)
class Page:
    """A page of messages from a pull, with the retention floor."""

    messages: list[MessageRecord]
    has_more: bool
    floor_seq: int


def system_key(user_id: str) -> str:
    """The storage key of `user_id`'s system conversation."""
    return f"6:{user_id}"


def group_key(group_id: str) -> str:
    """The storage key of a group's conversation."""
    return f"3:{group_id}"


def private_key(a: str, b: str) -> str:
    """The storage key of the private conversation between users `a` and `b`."""
    low, high = sorted((a, b))
    return f"1:{len(low)}:{low}:{high}"


class ServerStore:
    """Conversations and their messages, kept once per conversation."""

    def __init__(self, writer_db: Database, reader_db: Database) -> None:
        self._db = writer_db
        self._reader = reader_db
        # Touched only by jobs, on the writer's database thread.
        self._convs: dict[str, _ConvCache] = {}
        self._change_id = 0
        self._group_members: dict[str, list[str]] = {}
        self._writer = BatchWriter(
            writer_db, on_rollback=self._reset_caches, checkpoint=reader_db.checkpoint
        )

    @classmethod
    async def open(cls, path: Path) -> ServerStore:
        """Open the store at `path`, migrating it to the current schema."""
        writer = await Database.open(path, threaded=False)
        try:
            await apply_migrations(writer, MIGRATIONS)
            reader = await Database.open(path)
        except BaseException:
            await writer.close()
            raise
        store = cls(writer, reader)
        await writer.run(store._reset_caches)
        store._writer.start()
        return store

    async def close(self) -> None:
        """Commit what is queued and close both connections."""
        await self._writer.close()
        await self._reader.close()
        await self._db.close()

    def _reset_caches(self, conn: sqlite3.Connection) -> None:
        self._convs.clear()
        row = conn.execute(
            "SELECT MAX((SELECT COALESCE(MAX(change_id), 0) FROM conversations),"
            " (SELECT COALESCE(MAX(state_change), 0) FROM members))"
        ).fetchone()
        self._change_id = int(row[0])

    # ------------------------------------------------------------------ writes

    async def ensure_user(self, user_id: str, now_ms: int) -> None:
        """Record a user (idempotent)."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR IGNORE INTO users(id, created_at) VALUES (?, ?)", (user_id, now_ms)
            )

        await self._writer.submit(job)

    async def append(
        self,
        *,
        conv_type: int,
        conv_key: str,
        members: Sequence[Member],
        sender: str,
        cmid: str,
        object_name: str,
        content_json: str,
        now_ms: int,
    ) -> StoredMessage:
        """Store a message with the next seq of its conversation, once per (sender, cmid).

        Returns after the commit. A retry with the same client id returns the original.
        """

        def job(conn: sqlite3.Connection) -> StoredMessage:
            conv = self._convs.get(conv_key) or self._load_conversation(
                conn, conv_type, conv_key, members, now_ms
            )
            seq = conv.max_seq + 1
            sent_at = max(now_ms, conv.last_at)  # never backwards, even if the clock is
            uid = new_uuid7(sent_at)
            cursor = conn.execute(
                "INSERT OR IGNORE INTO messages"
                "(conv_id, seq, uid, sender, cmid, object_name, content, sent_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (conv.id, seq, uid, sender, cmid, object_name, content_json, sent_at),
            )
            if cursor.rowcount == 0:
                return self._original(conn, sender, cmid)
            self._change_id += 1
            conn.execute(
                "UPDATE conversations SET max_seq = ?, change_id = ?, last_at = ? WHERE id = ?",
                (seq, self._change_id, sent_at, conv.id),
            )
            conv.max_seq = seq
            conv.last_at = sent_at
            return StoredMessage(uid=uid, seq=seq, sent_at=sent_at, duplicate=False)

        return await self._writer.submit(job)

    async def ensure_conversation(self, conv_type: int, key: str, members: Sequence[Member]) -> int:
        """The id of conversation `key`, created with `members` when it does not exist."""

        def job(conn: sqlite3.Connection) -> int:
            cached = self._convs.get(key)
            if cached is not None:
                return cached.id
            return self._load_conversation(conn, conv_type, key, members, now_ms()).id

        return await self._writer.submit(job)

    async def create_group(
        self, group_id: str, name: str, owner: str, member_ids: Sequence[str], now_ms: int
    ) -> bool:
        """Create a group with its members (the owner among them); False if it exists."""
        members = list(dict.fromkeys([owner, *member_ids]))

        def job(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO groups(id, name, owner, created_at) VALUES (?, ?, ?, ?)",
                (group_id, name, owner, now_ms),
            )
            if not cursor.rowcount:
                return False
            self._load_conversation(
                conn, 3, group_key(group_id), [Member(m, group_id) for m in members], now_ms
            )
            return True

        created = await self._writer.submit(job)
        self._group_members.pop(group_id, None)
        return created

    async def group_members(self, group_id: str) -> list[str] | None:
        """The members of a group (None when there is no such group); cached."""
        cached = self._group_members.get(group_id)
        if cached is not None:
            return cached
        rows = await self._reader.fetch_all(
            "SELECT m.user_id FROM members m JOIN conversations c ON c.id = m.conv_id"
            " WHERE c.key = ? ORDER BY m.joined_at, m.user_id",
            (group_key(group_id),),
        )
        if not rows:
            return None
        members = [str(row[0]) for row in rows]
        self._group_members[group_id] = members
        return members

    async def find_by_client_id(self, sender: str, cmid: str) -> StoredMessage | None:
        """The stored message `sender` sent under `cmid`, if any (committed reads only)."""
        row = await self._reader.fetch_one(
            "SELECT uid, seq, sent_at FROM messages WHERE sender = ? AND cmid = ?",
            (sender, cmid),
        )
        if row is None:
            return None
        return StoredMessage(uid=row[0], seq=row[1], sent_at=row[2], duplicate=True)

    def _original(self, conn: sqlite3.Connection, sender: str, cmid: str) -> StoredMessage:
        row = conn.execute(
            "SELECT uid, seq, sent_at FROM messages WHERE sender = ? AND cmid = ?",
            (sender, cmid),
        ).fetchone()
        if row is None:
            # The insert was ignored for another reason: our seq cache is wrong. Failing
            # rolls the batch back and reloads the caches.
            raise RuntimeError("sequence cache out of step with the database")
        return StoredMessage(uid=row[0], seq=row[1], sent_at=row[2], duplicate=True)

    def _load_conversation(
        self,
        conn: sqlite3.Connection,
        conv_type: int,
        key: str,
        members: Sequence[Member],
        now_ms: int,
    ) -> _ConvCache:
        row = conn.execute(
            "SELECT id, max_seq, last_at FROM conversations WHERE key = ?", (key,)
        ).fetchone()
        if row is None:
            cursor = conn.execute(
                "INSERT INTO conversations(type, key) VALUES (?, ?)", (conv_type, key)
            )
            conv_id = cursor.lastrowid
            assert conv_id is not None
            conn.executemany(
                "INSERT OR IGNORE INTO members(user_id, conv_id, target, joined_at)"
                " VALUES (?, ?, ?, ?)",
                [(m.user_id, conv_id, m.target, now_ms) for m in members],
            )
            cache = _ConvCache(id=conv_id, max_seq=0, last_at=0)
        else:
            cache = _ConvCache(id=row[0], max_seq=row[1], last_at=row[2])
        self._convs[key] = cache
        return cache

    async def prune(self, older_than_ms: int, batch: int = 1000) -> int:
        """Delete messages sent before `older_than_ms` (history retention); return how many."""

        def job(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "DELETE FROM messages WHERE (conv_id, seq) IN (SELECT conv_id, seq"
                " FROM messages WHERE sent_at < ? LIMIT ?)",
                (older_than_ms, batch),
            )
            return cursor.rowcount

        total = 0
        while True:
            deleted = await self._writer.submit(job)
            total += deleted
            if deleted < batch:
                return total

    # ------------------------------------------------------------------ reads

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
            f"SELECT {_STATE_COLUMNS}, MAX(c.change_id, m.state_change) AS changed"
            f" {_STATE_FROM} WHERE m.user_id = ? AND (c.change_id > ? OR m.state_change > ?)"
            " ORDER BY changed LIMIT ?",
            (user_id, since, since, limit + 1),
        )
        has_more = len(rows) > limit
        rows = rows[:limit]
        states = [_state(row) for row in rows]
        cursor_value = rows[-1][-1] if rows else since
        return states, cursor_value, has_more

    async def conversation_state(self, user_id: str, conv_id: int) -> ConversationState | None:
        """How `user_id` sees a conversation now (None when not a member)."""
        row = await self._reader.fetch_one(
            f"SELECT {_STATE_COLUMNS} {_STATE_FROM} WHERE m.user_id = ? AND m.conv_id = ?",
            (user_id, conv_id),
        )
        return _state(row) if row is not None else None

    async def mark_read(self, user_id: str, conv_id: int, seq: int) -> list[str]:
        """Move `user_id`'s read position forward to `seq` (at most the last message).

        Clears the user's "marked unread". Returns the users whose view changed: the
        reader and, in a private chat, the peer (who sees it as a read receipt); empty
        when the position did not move.
        """

        def job(conn: sqlite3.Connection) -> list[str]:
            row = conn.execute(
                "SELECT m.read_seq, m.marked_unread, m.target, c.type, c.max_seq"
                " FROM members m JOIN conversations c ON c.id = m.conv_id"
                " WHERE m.user_id = ? AND m.conv_id = ?",
                (user_id, conv_id),
            ).fetchone()
            if row is None:
                return []
            read_seq, marked, target, conv_type, max_seq = row
            new_seq = max(read_seq, min(seq, max_seq))
            if new_seq == read_seq and not marked:
                return []
            self._change_id += 1
            conn.execute(
                "UPDATE members SET read_seq = ?, marked_unread = 0, state_change = ?"
                " WHERE user_id = ? AND conv_id = ?",
                (new_seq, self._change_id, user_id, conv_id),
            )
            changed = [user_id]
            if conv_type == _PRIVATE and new_seq != read_seq and target != user_id:
                conn.execute(
                    "UPDATE members SET state_change = ? WHERE user_id = ? AND conv_id = ?",
                    (self._change_id, target, conv_id),
                )
                changed.append(target)
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
        wanted = {"muted": muted, "pinned": pinned, "marked_unread": marked_unread}
        given = {name: int(value) for name, value in wanted.items() if value is not None}

        def job(conn: sqlite3.Connection) -> bool:
            row = conn.execute(
                "SELECT muted, pinned, marked_unread FROM members"
                " WHERE user_id = ? AND conv_id = ?",
                (user_id, conv_id),
            ).fetchone()
            if row is None:
                return False
            current = dict(zip(("muted", "pinned", "marked_unread"), row, strict=True))
            if all(current[name] == value for name, value in given.items()):
                return False
            self._change_id += 1
            assignments = ", ".join(f"{name} = ?" for name in given)
            conn.execute(
                f"UPDATE members SET {assignments}, state_change = ?"
                " WHERE user_id = ? AND conv_id = ?",
                (*given.values(), self._change_id, user_id, conv_id),
            )
            return True

        return await self._writer.submit(job)

    async def conversation_id(self, key: str, user_id: str) -> int | None:
        """The id of conversation `key` if `user_id` is a member of it."""
        row = await self._reader.fetch_one(
            "SELECT c.id FROM conversations c JOIN members m ON m.conv_id = c.id"
            " WHERE c.key = ? AND m.user_id = ?",
            (key, user_id),
        )
        return int(row[0]) if row else None

    async def pull(
        self,
        conv_id: int,
        seen_as: ConvRef,
        *,
        after_seq: int,
        before_seq: int,
        limit: int,
        not_before_ms: int,
    ) -> Page:
        """Messages of a conversation by seq range, never older than `not_before_ms`.

        Forward (before_seq == 0): seq > after_seq, oldest first. Backward: seq <
        before_seq, newest first.
        """
        floor = await self._floor_seq(conv_id, not_before_ms)
        columns = "uid, seq, sender, cmid, object_name, content, sent_at"
        if before_seq == 0:
            sql = (
                f"SELECT {columns} FROM messages WHERE conv_id = ? AND seq > ? ORDER BY seq LIMIT ?"
            )
            params: tuple[int, ...] = (conv_id, max(after_seq, floor - 1), limit + 1)
        else:
            sql = (
                f"SELECT {columns} FROM messages WHERE conv_id = ? AND seq < ? AND seq >= ?"
                " ORDER BY seq DESC LIMIT ?"
            )
            params = (conv_id, before_seq, floor, limit + 1)
        rows = await self._reader.fetch_all(sql, params)
        has_more = len(rows) > limit
        messages = [
            MessageRecord(
                uid=r[0],
                conv=seen_as,
                seq=r[1],
                sender=r[2],
                cmid=r[3],
                object_name=r[4],
                content=_json_decode(r[5]),
                sent_at=r[6],
            )
            for r in rows[:limit]
        ]
        return Page(messages=messages, has_more=has_more, floor_seq=floor)

    async def _floor_seq(self, conv_id: int, not_before_ms: int) -> int:
        row = await self._reader.fetch_one(
            "SELECT seq FROM messages WHERE conv_id = ? AND sent_at >= ?"
            " ORDER BY sent_at, seq LIMIT 1",
            (conv_id, not_before_ms),
        )
        if row is not None:
            return int(row[0])
        row = await self._reader.fetch_one(
            "SELECT max_seq FROM conversations WHERE id = ?", (conv_id,)
        )
        return int(row[0]) + 1 if row else 1
