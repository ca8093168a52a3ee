"""The server store on PostgreSQL: conversations and messages, and the per-table parts.

Writes of a node go through one :class:`~imkit_tui.server.pg.writer.PgWriter` (batches,
one transaction each, every batch of every node after the one before it); reads go to
the pool. A message's seq is taken from its conversation's row (`UPDATE … RETURNING`,
a row lock until the commit) in the message's own transaction, so seqs stay gapless
with senders on several nodes; a retry of a (sender, client id) finds the original
wherever it was first stored, because the batches run one after another.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Iterable, Sequence
from functools import partial

import asyncpg

from imkit_tui import messages
from imkit_tui.protocol import ConvRef
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.server.group_store import group_key
from imkit_tui.server.history_logs import in_batches, uid_floor
from imkit_tui.server.pg.act_log import PgActLog
from imkit_tui.server.pg.audiences import PgAudiences
from imkit_tui.server.pg.chatrooms import PgChatroomHistory, PgChatroomState
from imkit_tui.server.pg.connection import StoreConnection, create_pool
from imkit_tui.server.pg.customer_service import PgCsRecords
from imkit_tui.server.pg.groups import PgGagEnds, PgGroups
from imkit_tui.server.pg.members import PgMembers
from imkit_tui.server.pg.notices import Notices, notify
from imkit_tui.server.pg.privacy import PgPrivacy
from imkit_tui.server.pg.public_accounts import PgPublicAccounts
from imkit_tui.server.pg.receipts import PgFiles, PgReceipts
from imkit_tui.server.pg.schema import check_version, migrate
from imkit_tui.server.pg.ultra import PgUltra
from imkit_tui.server.pg.uploads import PgUploadCounts
from imkit_tui.server.pg.users import (
    PgBroadcasts,
    PgHistory,
    PgPushTexts,
    PgTokens,
    PgUsers,
    PgWords,
)
from imkit_tui.server.pg.writer import Done, PgWriter, affected
from imkit_tui.server.pulled_pages import pulled_page
from imkit_tui.server.replica import Replica
from imkit_tui.server.seq_views import EVERYTHING
from imkit_tui.server.store_records import (
    ChangeIds,
    Member,
    NewMessage,
    Page,
    StoredMessage,
    duplicate_of,
    recall_due,
)
from imkit_tui.server.targeted_store import TargetedStore

_NO_CEILING = 2**63 - 1
# One round trip per message: the original when (sender, cmid) was stored already, else
# the conversation's next seq taken (its row locked until the commit) and the message
# stored under it. sent_at never goes backwards (the conversation's last_at).
_APPEND = """
WITH original AS (
    SELECT uid, seq, sent_at, conv_id FROM messages WHERE cmid = $5 AND sender = $4
), taken AS (
    UPDATE conversations SET max_seq = max_seq + 1, last_at = GREATEST(last_at, $2),
        change_id = CASE WHEN $3 THEN $6 ELSE change_id END
    WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM original)
    RETURNING max_seq, last_at
), stored AS (
    INSERT INTO messages(conv_id, seq, uid, sender, cmid, object_name, content, sent_at)
    SELECT $1, max_seq, $7, $4, $5, $8, $9, last_at FROM taken
    RETURNING seq, sent_at
)
SELECT false AS duplicate, $7 AS uid, seq, sent_at, $1::bigint AS conv_id FROM stored
UNION ALL
SELECT true, uid, seq, sent_at, conv_id FROM original
"""
_COLUMNS = "uid, seq, sender, cmid, object_name, content, sent_at"


class PostgresStore:
    """Conversations and their messages in PostgreSQL, shared by every node."""

    def __init__(self, pool: asyncpg.Pool, notices: Notices) -> None:
        self._pool = pool
        self._notices = notices
        self._changes = ChangeIds()
        self._conv_ids: dict[str, int] = {}
        self.audiences = TargetedStore()
        """Who may see each targeted message (in memory, caught up from the database)."""
        self._targeted = PgAudiences(self.audiences)
        self._writer = PgWriter(pool, self._changes, self._after_commit)
        self.members = PgMembers(self._writer, pool, self._changes, self._targeted)
        """Each member's own view of a conversation (pg/members.py)."""
        self.groups = PgGroups(self._writer, pool, self._changes, notices)
        """Groups (pg/groups.py)."""
        self.gags = PgGagEnds(self._writer, pool)
        """When timed group gags end (pg/groups.py)."""
        self.receipts = PgReceipts(self._writer, pool, self._targeted)
        """Group read receipts (pg/receipts.py)."""
        self.files = PgFiles(self._writer, pool, self._targeted)
        """Who may read which stored file (pg/receipts.py)."""
        self.privacy = PgPrivacy(self._writer, pool, notices)
        """Who may message each user (pg/privacy.py)."""
        self.tokens = PgTokens(self._writer, pool)
        """Each user's token version (pg/users.py)."""
        self.users = PgUsers(self._writer, pool)
        """Profiles, tags and blocks set by the app server (pg/users.py)."""
        self.words = PgWords(self._writer, pool, notices)
        """The app's sensitive words (pg/users.py)."""
        self.history = PgHistory(self._writer, pool)
        """Each hour's message log (pg/users.py)."""
        self.pushes = PgPushTexts(self._writer, pool)
        """Push texts the app server gave its messages (pg/users.py)."""
        self.broadcasts = PgBroadcasts(self._writer, pool)
        """When the Server API's broadcasts went out (pg/users.py)."""
        self.chatrooms = PgChatroomHistory(self._writer, pool)
        """Chatroom cloud history (pg/chatrooms.py)."""
        self.chatroom_state = PgChatroomState(self._writer, pool)
        """The chatrooms' settings, kept across restarts (pg/chatrooms.py)."""
        self.customer_service = PgCsRecords(self._writer, pool)
        """Ratings, left messages and seated agents (pg/customer_service.py)."""
        self.ultra = PgUltra(self._writer, pool)
        """Ultra groups (pg/ultra.py)."""
        self.public = PgPublicAccounts(self._writer, pool, self._changes)
        """Public service accounts and their followers (pg/public_accounts.py)."""
        self.uploads = PgUploadCounts(self._writer, pool)
        """Each user's uploads, counted against the upload quota (pg/uploads.py)."""

    @classmethod
    async def open(
        cls,
        dsn: str,
        *,
        migrate_schema: bool = False,
        connection_class: type[StoreConnection] = StoreConnection,
    ) -> PostgresStore:
        """Connect to the database at `dsn` (a postgresql:// URL; its `search_path`
        query parameter names the schema), applying the migrations first with
        `migrate_schema`; SchemaTooOld when the schema is behind and not migrated.
        `connection_class` is how the pool's connections talk (one that also measures
        what each statement costs, in the tests)."""
        pool = await create_pool(dsn, connection_class)
        try:
            async with pool.acquire() as conn:
                if migrate_schema:
                    await migrate(conn)
                await check_version(conn)
            notices = Notices(dsn)
            await notices.start()
        except BaseException:
            await pool.close()
            raise
        store = cls(pool, notices)
        try:
            await store._targeted.reload(pool)
        except BaseException:
            await store.close()
            raise
        store._writer.start()
        return store

    def act_log(
        self,
        name: str,
        replica: Replica,
        local_users: Callable[[], Iterable[str]],
        tick_seconds: float = 1.0,
    ) -> PgActLog:
        """Log of acts `name` shared by the nodes (pg/act_log.py), for `replica`;
        `local_users()`: the users with devices on this node it must say are online;
        `tick_seconds`: how often the node ticks it."""
        return PgActLog(self._pool, self._notices, name, replica, local_users, tick_seconds)

    async def close(self) -> None:
        """Commit what is queued and close the pool."""
        await self._writer.close()
        await self._notices.stop()
        await self._pool.close()

    async def truncate_wal(self) -> None:
        """Nothing to do: PostgreSQL keeps no copy the server could empty."""

    async def catch_up_audiences(self) -> None:
        """Read the audiences other nodes stored since the last look (before numbering
        a message another node stored)."""
        await self._targeted.catch_up(self._pool)

    async def _after_commit(self, conn: asyncpg.Connection) -> None:
        if self._targeted.stored:
            self._targeted.stored = False
            await self._targeted.catch_up(conn)

    # ------------------------------------------------------------------ writes

    async def ensure_user(self, user_id: str, now_ms: int) -> None:
        """Record a user (idempotent)."""

        async def job(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "INSERT INTO users(id, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                user_id,
                now_ms,
            )

        await self._writer.submit(job)

    def append(self, message: NewMessage) -> asyncio.Future[StoredMessage]:
        """Store a message with the next seq of its conversation, once per (sender, cmid);
        queued at once, in call order; the future resolves after the commit."""
        return self._writer.submit_nowait(partial(self._append_job, message))

    def append_then(self, message: NewMessage, then: Done) -> None:
        """:meth:`append`, calling `then(stored, error)` right after the commit."""
        self._writer.submit_then(partial(self._append_job, message), then)

    async def _append_job(self, message: NewMessage, conn: asyncpg.Connection) -> StoredMessage:
        conv_id = await self._conversation(
            conn, message.conv_type, message.conv_key, message.members, message.now_ms
        )
        stored = await self._append_row(
            conn,
            conv_id,
            message.sender,
            message.cmid,
            message.object_name,
            message.content_json,
            message.now_ms,
            message.audience,
        )
        if stored.duplicate:
            return self._with_audience(message.conv_key, stored)
        if message.files:
            await conn.executemany(
                "INSERT INTO file_refs(sha256, conv_id, seq) VALUES ($1, $2, $3)"
                " ON CONFLICT DO NOTHING",
                [(digest, conv_id, stored.seq) for digest in message.files],
            )
        if message.then is not None:
            await message.then.on_postgres(conn, conv_id, stored.seq, stored.sent_at)
        if message.also is not None:
            await message.also.on_postgres(conn, stored)
        return stored

    async def _append_row(
        self,
        conn: asyncpg.Connection,
        conv_id: int,
        sender: str,
        cmid: str,
        object_name: str,
        content_json: str,
        now_ms: int,
        audience: frozenset[str] | None,
    ) -> StoredMessage:
        """Insert a message with the next seq (inside a writer job); the original on a
        retry. A targeted message moves the change id of its audience only."""
        change_id = self._changes.next()
        uid = new_uuid7(now_ms)
        row = await conn.fetchrow(
            _APPEND,
            conv_id,
            now_ms,
            audience is None,
            sender,
            cmid,
            change_id,
            uid,
            object_name,
            content_json,
        )
        if row["duplicate"]:
            return StoredMessage(
                uid=row["uid"],
                seq=row["seq"],
                sent_at=row["sent_at"],
                duplicate=True,
                elsewhere=row["conv_id"] != conv_id,
            )
        seq, sent_at = int(row["seq"]), int(row["sent_at"])
        if sent_at != now_ms:  # the clock is behind the last message: sent_at is not now
            uid = new_uuid7(sent_at)  # a uid's time is its sent_at (prune, history logs)
            await conn.execute(
                "UPDATE messages SET uid = $1 WHERE conv_id = $2 AND seq = $3", uid, conv_id, seq
            )
        if audience is not None:
            await self._targeted.record(conn, conv_id, seq, audience, change_id)
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
        """Recall `sender`'s message `uid` (its content replaced by a notice) and append
        a recall command, in one transaction; idempotent. LookupError when the message
        is not `sender`'s here, TimeoutError past `max_age_ms` (0: no limit)."""

        async def job(conn: asyncpg.Connection) -> StoredMessage:
            conv_id = await self._conversation(conn, conv_type, conv_key, members, now_ms)
            cmid = f"recall:{uid}"
            row = await conn.fetchrow(
                "SELECT sender, object_name, sent_at, seq FROM messages"
                " WHERE uid = $1 AND conv_id = $2",
                uid,
                conv_id,
            )
            if not recall_due(row, sender, now_ms, max_age_ms):
                original = await self._original(conn, sender, cmid, conv_id)
                if original is None:
                    raise LookupError("no such message of yours here")
                return self._with_audience(conv_key, original)
            notice, command = notice_json(row[1], row[2])
            await conn.execute(
                "UPDATE messages SET object_name = $1, content = $2 WHERE uid = $3",
                messages.RECALL_NTF,
                notice,
                uid,
            )
            await conn.execute(
                "DELETE FROM file_refs WHERE conv_id = $1 AND seq = $2", conv_id, row[3]
            )
            audience = self.audiences.audience(conv_key, row[3])
            return await self._append_row(
                conn, conv_id, sender, cmid, messages.RECALL, command, now_ms, audience
            )

        await self._targeted.catch_up(self._pool)
        return await self._writer.submit(job)

    async def ensure_conversation(self, conv_type: int, key: str, members: Sequence[Member]) -> int:
        """The id of conversation `key`, created with `members` when it does not exist."""
        known = self._conv_ids.get(key)
        if known is not None:
            return known
        return await self._writer.submit(
            partial(self._conversation, conv_type=conv_type, key=key, members=members, at=now_ms())
        )

    async def create_group(
        self, group_id: str, name: str, owner: str, member_ids: Sequence[str], now_ms: int
    ) -> bool:
        """Create a group with its members (the owner among them); False if it exists."""
        members = list(dict.fromkeys([owner, *member_ids]))

        async def job(conn: asyncpg.Connection) -> bool:
            status = await conn.execute(
                "INSERT INTO groups(id, name, owner, created_at) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT DO NOTHING",
                group_id,
                name,
                owner,
                now_ms,
            )
            if not affected(status):
                return False
            await self._conversation(
                conn, 3, group_key(group_id), [Member(m, group_id) for m in members], now_ms
            )
            await notify(conn, self._notices.channel, "group", group_id)
            return True

        created: bool = await self._writer.submit(job)
        self.groups.forget(group_id)
        return created

    async def find_by_client_id(
        self, sender: str, cmid: str, conv_key: str = ""
    ) -> StoredMessage | None:
        """The stored message `sender` sent under `cmid`, if any (committed reads only);
        `elsewhere` when it is not in conversation `conv_key` (given)."""
        row = await self._pool.fetchrow(
            "SELECT m.uid, m.seq, m.sent_at, c.key FROM messages m"
            " JOIN conversations c ON c.id = m.conv_id WHERE m.cmid = $1 AND m.sender = $2",
            cmid,
            sender,
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

    @staticmethod
    async def _original(
        conn: asyncpg.Connection, sender: str, cmid: str, conv_id: int
    ) -> StoredMessage | None:
        row = await conn.fetchrow(
            "SELECT uid, seq, sent_at, conv_id FROM messages WHERE cmid = $1 AND sender = $2",
            cmid,
            sender,
        )
        return duplicate_of(row, conv_id) if row is not None else None

    async def _conversation(
        self,
        conn: asyncpg.Connection,
        conv_type: int,
        key: str,
        members: Sequence[Member],
        at: int,
    ) -> int:
        """The id of conversation `key`, created with `members` (inside a writer job)."""
        known = self._conv_ids.get(key)
        if known is not None:
            return known
        conv_id = await conn.fetchval("SELECT id FROM conversations WHERE key = $1", key)
        if conv_id is None:
            conv_id = await conn.fetchval(
                "INSERT INTO conversations(type, key) VALUES ($1, $2) RETURNING id",
                conv_type,
                key,
            )
            await conn.executemany(
                "INSERT INTO members(user_id, conv_id, target, joined_at)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                [(m.user_id, conv_id, m.target, at) for m in members],
            )
            return int(conv_id)  # kept once committed and found again, not before
        self._conv_ids[key] = int(conv_id)
        return int(conv_id)

    async def prune(self, older_than_ms: int, batch: int = 1000) -> int:
        """Delete messages sent before `older_than_ms` (history retention); return how many."""
        before = uid_floor(older_than_ms)

        async def job(conn: asyncpg.Connection) -> int:
            old = await conn.fetch(
                "SELECT conv_id, seq FROM messages WHERE uid < $1 AND sent_at < $2 LIMIT $3",
                before,
                older_than_ms,
                batch,
            )
            pairs = [(int(r[0]), int(r[1])) for r in old]
            await conn.executemany("DELETE FROM messages WHERE conv_id = $1 AND seq = $2", pairs)
            await conn.executemany("DELETE FROM file_refs WHERE conv_id = $1 AND seq = $2", pairs)
            return len(pairs)

        return await in_batches(partial(self._writer.submit, job), batch)

    # ------------------------------------------------------------------ reads

    async def conversation_id(self, key: str, user_id: str) -> int | None:
        """The id of conversation `key` if `user_id` is a member of it."""
        found = await self._pool.fetchval(
            "SELECT c.id FROM conversations c JOIN members m ON m.conv_id = c.id"
            " WHERE c.key = $1 AND m.user_id = $2",
            key,
            user_id,
        )
        return int(found) if found is not None else None

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
        """Messages of a conversation by seq range, never older than `not_before_ms`, in
        the reader's numbering (as ServerStore.pull)."""
        await self._targeted.catch_up(self._pool)
        targeted = self.audiences.targeted(conv_key)
        view = targeted.view(reader) if targeted is not None and reader else EVERYTHING
        after_seq, before_seq = view.to_conversation(after_seq), view.to_conversation(before_seq)
        cleared, deleted, left = (
            await self.members.hidden_for(reader, conv_id) if reader else (0, set(), None)
        )
        floor = max(await self._floor_seq(conv_id, not_before_ms), cleared + 1)
        ceiling = left + 1 if left is not None else _NO_CEILING
        hidden = list(view.hidden)
        if before_seq == 0:
            rows = await self._pool.fetch(
                f"SELECT {_COLUMNS} FROM messages WHERE conv_id = $1 AND seq > $2 AND seq < $3"
                " AND seq <> ALL($4::bigint[]) ORDER BY seq LIMIT $5",
                conv_id,
                max(after_seq, floor - 1),
                ceiling,
                hidden,
                limit + 1,
            )
        else:
            rows = await self._pool.fetch(
                f"SELECT {_COLUMNS} FROM messages WHERE conv_id = $1 AND seq < $2 AND seq >= $3"
                " AND seq <> ALL($4::bigint[]) ORDER BY seq DESC LIMIT $5",
                conv_id,
                min(before_seq, ceiling),
                floor,
                hidden,
                limit + 1,
            )
        return pulled_page(rows, limit, seen_as, view, deleted, targeted, floor)

    async def _floor_seq(self, conv_id: int, not_before_ms: int) -> int:
        """The first seq not older than `not_before_ms` (one past the last when none)."""
        found = await self._pool.fetchval(
            "SELECT seq FROM messages WHERE conv_id = $1 AND sent_at >= $2"
            " ORDER BY sent_at, seq LIMIT 1",
            conv_id,
            not_before_ms,
        )
        if found is not None:
            return int(found)
        last = await self._pool.fetchval("SELECT max_seq FROM conversations WHERE id = $1", conv_id)
        return int(last) + 1 if last is not None else 1
