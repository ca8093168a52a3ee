"""The server's store: conversations, members and messages in SQLite.

Writes go through one BatchWriter, inline on the event loop: the writes submitted in
one turn of the loop (sends from many connections) share one transaction, and each
caller hears back after that commit (group commit). Reads run on a second connection's
thread, so a reader never sees a batch that is not committed yet and a large page never
stalls the loop. The WAL is kept to about `wal_limit_bytes` under a sustained write.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sqlite3
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import msgspec

from imkit_tui import messages
from imkit_tui.protocol import ConvRef
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.server.broadcast_log import BroadcastLog
from imkit_tui.server.chatrooms.history_store import ChatroomHistory
from imkit_tui.server.chatrooms.state_store import ChatroomState
from imkit_tui.server.customer_service.records import CsRecords
from imkit_tui.server.file_refs import FileRefs, drop_refs, record_refs
from imkit_tui.server.floors import first_since
from imkit_tui.server.group_gags import GroupGags
from imkit_tui.server.group_store import GroupStore, group_key
from imkit_tui.server.history_logs import HistoryLogs, in_batches, uid_floor
from imkit_tui.server.member_store import MemberStore
from imkit_tui.server.privacy_store import PrivacyStore
from imkit_tui.server.public_service.accounts import PublicAccounts
from imkit_tui.server.pulled_pages import pulled_page
from imkit_tui.server.push_texts import PushTexts
from imkit_tui.server.receipt_store import ReceiptStore
from imkit_tui.server.schema import MIGRATIONS
from imkit_tui.server.sensitive_words import SensitiveWords
from imkit_tui.server.seq_views import EVERYTHING
from imkit_tui.server.store_records import (
    ChangeIds,
    ConvCache,
    Member,
    NewMessage,
    Page,
    StoredMessage,
    duplicate_of,
    private_key,
    recall_due,
    system_key,
)
from imkit_tui.server.targeted_store import TargetedStore
from imkit_tui.server.token_versions import TokenVersions
from imkit_tui.server.ultra.store import UltraStore
from imkit_tui.server.user_records import UserRecords
from imkit_tui.storage import BatchWriter, Database, apply_migrations
from imkit_tui.storage.writer import Done

# A recalled message becomes a notice without the original content; a message the
# reader deleted for themself is pulled as a content-free tombstone.
RECALL_NOTICE = messages.RECALL_NTF
RECALL_COMMAND = messages.RECALL

_json_decode = msgspec.json.Decoder(dict[str, Any]).decode
_NO_CEILING = 2**63 - 1
__all__ = [
    "Member",
    "NewMessage",
    "Page",
    "ServerStore",
    "StoredMessage",
    "private_key",
    "system_key",
]
#: The WAL's size past which the writer waits for a full checkpoint (and restarts it).
DEFAULT_WAL_LIMIT = 64 * 1024 * 1024


class ServerStore:
    """Conversations and their messages, kept once per conversation."""

    def __init__(
        self, writer_db: Database, reader_db: Database, *, wal_limit_bytes: int = DEFAULT_WAL_LIMIT
    ) -> None:
        self._db = writer_db
        self._reader = reader_db
        # Touched only by jobs, on the writer's database thread.
        self._convs: dict[str, ConvCache] = {}
        self._changes = ChangeIds()
        self.audiences = TargetedStore()
        """Who may see each targeted message, and so how each member numbers a
        conversation (server/targeted_store.py)."""
        self._writer = BatchWriter(
            writer_db,
            on_rollback=self._reset_caches,
            checkpoint=reader_db.checkpoint,
            group_turn=True,
            wal_limit_bytes=wal_limit_bytes,
        )
        self.files = FileRefs(self._writer, reader_db, self.audiences.audience)
        """Who may read which stored file (server/file_refs.py)."""
        self.members = MemberStore(self._writer, reader_db, self._changes, self.audiences)
        """Each member's own view: read position, settings, deletions, cleared history
        (server/member_store.py)."""
        self.groups = GroupStore(self._writer, reader_db, self._changes)
        """Group membership, names and who may speak (server/group_store.py)."""
        self.ultra = UltraStore(self._writer, reader_db)
        """Ultra groups: groups, channels, members, voices (server/ultra/store.py)."""
        self.receipts = ReceiptStore(self._writer, reader_db, self.audiences)
        """Group read receipts: asked for, and who read (server/receipt_store.py)."""
        self.privacy = PrivacyStore(self._writer, reader_db)
        """Who may message each user (server/privacy_store.py)."""
        self.tokens = TokenVersions(self._writer, reader_db)
        """Each user's token version (server/token_versions.py)."""
        self.users = UserRecords(self._writer, reader_db)
        """Profiles and blocks set by the app server (server/user_records.py)."""
        self.gags = GroupGags(self._writer, reader_db)
        """When timed group gags end (server/group_gags.py)."""
        self.words = SensitiveWords(self._writer, reader_db)
        """The app's sensitive words (server/sensitive_words.py)."""
        self.history = HistoryLogs(self._writer, reader_db)
        """Each hour's message log for the app server (server/history_logs.py)."""
        self.pushes = PushTexts(self._writer, reader_db)
        self.broadcasts = BroadcastLog(self._writer, reader_db)
        self.chatrooms = ChatroomHistory(self._writer, reader_db)
        """Chatroom cloud history (server/chatrooms/history_store.py)."""
        self.chatroom_state = ChatroomState(self._writer, reader_db)
        """The chatrooms' settings, kept across restarts (server/chatrooms/state_store.py)."""
        self.public = PublicAccounts(self._writer, reader_db, self._changes)
        """Public service accounts and their followers (server/public_service/)."""
        self.customer_service = CsRecords(self._writer, reader_db)
        """Customer-service ratings, left messages and seated agents
        (server/customer_service/records.py)."""
        """When the Server API's broadcasts went out (their limit holds across restarts)."""
        """Push texts the app server gave its messages (server/push_texts.py)."""

    @classmethod
    async def open(cls, path: Path, *, wal_limit_bytes: int = DEFAULT_WAL_LIMIT) -> ServerStore:
        """Open the store at `path`, migrating it to the current schema; its WAL is kept
        to about `wal_limit_bytes` under a sustained write."""
        writer = await Database.open(path, threaded=False)
        try:
            await apply_migrations(writer, MIGRATIONS)
            reader = await Database.open(path)
        except BaseException:
            await writer.close()
            raise
        store = cls(writer, reader, wal_limit_bytes=wal_limit_bytes)
        await writer.run(store._reset_caches)
        store._writer.start()
        return store

    @property
    def wal_resets(self) -> int:
        """How many times the WAL passed its limit and was checkpointed in full."""
        return self._writer.wal_resets

    async def truncate_wal(self) -> None:
        """Checkpoint and empty the WAL: no older copy of any page stays on disk."""
        await self._writer.flush()
        await self._reader.checkpoint("TRUNCATE")

    async def close(self) -> None:
        """Commit what is queued and close both connections."""
        await self._writer.close()
        await self._reader.close()
        await self._db.close()

    def _reset_caches(self, conn: sqlite3.Connection) -> None:
        self._convs.clear()
        self.audiences.load(conn)
        row = conn.execute(
            "SELECT MAX((SELECT COALESCE(MAX(change_id), 0) FROM conversations),"
            " (SELECT COALESCE(MAX(state_change), 0) FROM members))"
        ).fetchone()
        self._changes.last = int(row[0])

    # ------------------------------------------------------------------ writes

    async def ensure_user(self, user_id: str, now_ms: int) -> None:
        """Record a user (idempotent)."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR IGNORE INTO users(id, created_at) VALUES (?, ?)", (user_id, now_ms)
            )

        await self._writer.submit(job)

    def append(self, message: NewMessage) -> asyncio.Future[StoredMessage]:
        """Store a message with the next seq of its conversation, once per (sender, cmid).

        Queued at once, in call order (so in that order the messages get their seqs); the
        future resolves after the commit. A retry with the same client id returns the
        original.
        """
        return self._writer.submit_nowait(partial(self._append_job, message))

    def append_then(self, message: NewMessage, then: Done) -> None:
        """:meth:`append`, calling `then(stored, error)` right after the commit (perhaps
        before this returns) instead of resolving a future: the send path's way."""
        self._writer.submit_then(partial(self._append_job, message), then)

    def _append_job(self, message: NewMessage, conn: sqlite3.Connection) -> StoredMessage:
        key = message.conv_key
        conv = self._convs.get(key) or self._load_conversation(
            conn, message.conv_type, key, message.members, message.now_ms
        )
        stored = self._append_row(
            conn,
            key,
            conv,
            message.sender,
            message.cmid,
            message.object_name,
            message.content_json,
            message.now_ms,
            message.audience,
        )
        if message.files and not stored.duplicate:
            record_refs(conn, conv.id, stored.seq, message.files)
        if message.then is not None and not stored.duplicate:
            message.then.on_sqlite(conn, conv.id, stored.seq, stored.sent_at)
        if message.also is not None and not stored.duplicate:
            message.also.on_sqlite(conn, stored)
        return self._with_audience(key, stored) if stored.duplicate else stored

    def _append_row(
        self,
        conn: sqlite3.Connection,
        conv_key: str,
        conv: ConvCache,
        sender: str,
        cmid: str,
        object_name: str,
        content_json: str,
        now_ms: int,
        audience: frozenset[str] | None = None,
    ) -> StoredMessage:
        """Insert a message with the next seq (inside a writer job); the original on a retry.

        A targeted message (with an `audience`) moves the change id of its audience only:
        for everyone else the conversation did not change.
        """
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
            return self._original(conn, sender, cmid, conv.id)
        change_id = self._changes.next()
        conv.max_seq = seq
        conv.last_at = sent_at
        if audience is None:
            conn.execute(
                "UPDATE conversations SET max_seq = ?, change_id = ?, last_at = ? WHERE id = ?",
                (seq, change_id, sent_at, conv.id),
            )
            return StoredMessage(uid=uid, seq=seq, sent_at=sent_at, duplicate=False)
        conn.execute(
            "UPDATE conversations SET max_seq = ?, last_at = ? WHERE id = ?",
            (seq, sent_at, conv.id),
        )
        self.audiences.record(conn, conv_key, conv.id, seq, audience, change_id)
        return StoredMessage(uid=uid, seq=seq, sent_at=sent_at, duplicate=False, audience=audience)

    async def recall(
        self,
        *,
        conv_type: int,
        conv_key: str,
        members: Sequence[Member],
        sender: str,
        uid: str,
        notice_json: Callable[[str, int], tuple[str, str]],
        now_ms: int,
        max_age_ms: int = 0,
    ) -> StoredMessage:
        """Recall `sender`'s message `uid`: its stored content is replaced by a recall
        notice (nothing of the original is kept) and a recall command (RC:RcCmd) with its
        own seq is appended, in one transaction. Idempotent: a retry returns the command
        appended the first time. `notice_json(original_object_name, original_sent_at)`
        gives the notice's and the command's content. Raises LookupError when the message
        is not `sender`'s in this conversation, TimeoutError past `max_age_ms` (0: no limit).
        """

        def job(conn: sqlite3.Connection) -> StoredMessage:
            conv = self._convs.get(conv_key) or self._load_conversation(
                conn, conv_type, conv_key, members, now_ms
            )
            cmid = f"recall:{uid}"
            row = conn.execute(
                "SELECT sender, object_name, sent_at, seq FROM messages"
                " WHERE uid = ? AND conv_id = ?",
                (uid, conv.id),
            ).fetchone()
            if not recall_due(row, sender, now_ms, max_age_ms):
                return self._with_audience(conv_key, self._original(conn, sender, cmid, conv.id))
            notice, command = notice_json(row[1], row[2])
            conn.execute(
                "UPDATE messages SET object_name = ?, content = ? WHERE uid = ?",
                (RECALL_NOTICE, notice, uid),
            )
            drop_refs(conn, conv.id, row[3])
            # The recall of a targeted message is for the same audience: nobody else
            # may learn that there was something to recall.
            audience = self.audiences.audience(conv_key, row[3])
            return self._append_row(
                conn, conv_key, conv, sender, cmid, RECALL_COMMAND, command, now_ms, audience
            )

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
        self.groups.forget(group_id)
        return created

    async def find_by_client_id(
        self, sender: str, cmid: str, conv_key: str = ""
    ) -> StoredMessage | None:
        """The stored message `sender` sent under `cmid`, if any (committed reads only);
        `elsewhere` when it is not in conversation `conv_key` (given)."""
        row = await self._reader.fetch_one(
            "SELECT m.uid, m.seq, m.sent_at, c.key FROM messages m"
            " JOIN conversations c ON c.id = m.conv_id WHERE m.sender = ? AND m.cmid = ?",
            (sender, cmid),
        )
        if row is None:
            return None
        elsewhere = bool(conv_key) and row[3] != conv_key
        return StoredMessage(
            uid=row[0], seq=row[1], sent_at=row[2], duplicate=True, elsewhere=elsewhere
        )

    def _with_audience(self, conv_key: str, stored: StoredMessage) -> StoredMessage:
        audience = self.audiences.audience(conv_key, stored.seq)
        return stored if audience is None else dataclasses.replace(stored, audience=audience)

    def _original(
        self, conn: sqlite3.Connection, sender: str, cmid: str, conv_id: int
    ) -> StoredMessage:
        row = conn.execute(
            "SELECT uid, seq, sent_at, conv_id FROM messages WHERE sender = ? AND cmid = ?",
            (sender, cmid),
        ).fetchone()
        if row is None:
            # The insert was ignored for another reason: our seq cache is wrong. Failing
            # rolls the batch back and reloads the caches.
            raise RuntimeError("sequence cache out of step with the database")
        return duplicate_of(row, conv_id)

    def _load_conversation(
        self,
        conn: sqlite3.Connection,
        conv_type: int,
        key: str,
        members: Sequence[Member],
        now_ms: int,
    ) -> ConvCache:
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
            cache = ConvCache(id=conv_id, max_seq=0, last_at=0)
        else:
            cache = ConvCache(id=row[0], max_seq=row[1], last_at=row[2])
        self._convs[key] = cache
        return cache

    async def prune(self, older_than_ms: int, batch: int = 1000) -> int:
        """Delete messages sent before `older_than_ms` (history retention); return how many."""
        # A message's uid is a UUIDv7 of its sent_at (`_append_row`): the ones sent
        # before a time are those whose text sorts below that time's, along messages_uid.
        before = uid_floor(older_than_ms)

        def job(conn: sqlite3.Connection) -> int:
            old = conn.execute(
                "SELECT conv_id, seq FROM messages WHERE uid < ? AND sent_at < ? LIMIT ?",
                (before, older_than_ms, batch),
            ).fetchall()
            conn.executemany("DELETE FROM messages WHERE conv_id = ? AND seq = ?", old)
            conn.executemany("DELETE FROM file_refs WHERE conv_id = ? AND seq = ?", old)
            return len(old)

        return await in_batches(partial(self._writer.submit, job), batch)

    # ------------------------------------------------------------------ reads

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
        reader: str = "",
        conv_key: str = "",
    ) -> Page:
        """Messages of a conversation by seq range, never older than `not_before_ms`.

        Forward (before_seq == 0): seq > after_seq, oldest first. Backward: seq <
        before_seq, newest first. For `reader`, history they cleared is below the floor,
        and messages they deleted come as content-free DELETED tombstones, so the seqs
        stay gapless. Seqs, asked and answered, are the reader's numbering of `conv_key`:
        targeted messages hidden from them are not there at all.
        """
        targeted = self.audiences.targeted(conv_key)
        view = targeted.view(reader) if targeted is not None and reader else EVERYTHING
        after_seq, before_seq = view.to_conversation(after_seq), view.to_conversation(before_seq)
        cleared, deleted, left = (
            await self.members.hidden_for(reader, conv_id) if reader else (0, set(), None)
        )
        floor = max(await self._floor_seq(conv_id, not_before_ms), cleared + 1)
        # A member who left reads up to their leaving, no further.
        ceiling = left + 1 if left is not None else _NO_CEILING
        columns = "uid, seq, sender, cmid, object_name, content, sent_at"
        visible = " AND seq NOT IN (SELECT value FROM json_each(?))" if view.hidden else ""
        hidden = (json.dumps(view.hidden),) if view.hidden else ()
        if before_seq == 0:
            sql = (
                f"SELECT {columns} FROM messages WHERE conv_id = ? AND seq > ? AND seq < ?"
                f"{visible} ORDER BY seq LIMIT ?"
            )
            params: tuple[int | str, ...] = (
                conv_id,
                max(after_seq, floor - 1),
                ceiling,
                *hidden,
                limit + 1,
            )
        else:
            sql = (
                f"SELECT {columns} FROM messages WHERE conv_id = ? AND seq < ? AND seq >= ?"
                f"{visible} ORDER BY seq DESC LIMIT ?"
            )
            params = (conv_id, min(before_seq, ceiling), floor, *hidden, limit + 1)
        rows = await self._reader.fetch_all(sql, params)
        return pulled_page(rows, limit, seen_as, view, deleted, targeted, floor)

    async def _floor_seq(self, conv_id: int, not_before_ms: int) -> int:
        floor = await self._reader.run(partial(first_since, conv_id=conv_id, at=not_before_ms))
        if floor is not None:
            return floor
        row = await self._reader.fetch_one(
            "SELECT max_seq FROM conversations WHERE id = ?", (conv_id,)
        )
        return int(row[0]) + 1 if row else 1
