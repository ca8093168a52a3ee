"""The smaller tables on PostgreSQL: users (profiles, tags, blocks), token versions,
sensitive words, the hourly message logs, push texts and the Server API's broadcasts
(as server/user_records.py, token_versions.py, sensitive_words.py, history_logs.py,
push_texts.py and broadcast_log.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from imkit_tui.server.broadcast_log import Allows
from imkit_tui.server.group_store import group_key
from imkit_tui.server.history_logs import HOUR_MS, log_entry, uid_floor
from imkit_tui.server.pg.notices import Notices, notify
from imkit_tui.server.pg.writer import PgWriter
from imkit_tui.server.sensitive_words import MAX_WORDS, WordFilter, screen
from imkit_tui.server.token_versions import Revocation
from imkit_tui.server.user_records import Profile

_WORDS = "words"


class _Table:
    """A store part: the node's writer for writes, the pool for reads."""

    def __init__(self, writer: PgWriter, pool: asyncpg.Pool) -> None:
        self._writer = writer
        self._pool = pool

    async def _write(self, sql: str, *args: Any) -> None:
        """Run one statement as a write job."""

        async def job(conn: asyncpg.Connection) -> None:
            await conn.execute(sql, *args)

        await self._writer.submit(job)


class PgUsers(_Table):
    """User profiles, tags and blocks."""

    async def set_profile(
        self, user_id: str, name: str | None, portrait: str | None, now_ms: int
    ) -> None:
        """Record the user (if new) and set the name and portrait given (None: unchanged)."""

        async def job(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "INSERT INTO users(id, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                user_id,
                now_ms,
            )
            await conn.execute(
                "INSERT INTO user_profiles(user_id, name, portrait, updated_at)"
                " VALUES ($1, COALESCE($2, ''), COALESCE($3, ''), $4)"
                " ON CONFLICT (user_id) DO UPDATE SET name = COALESCE($2, user_profiles.name),"
                " portrait = COALESCE($3, user_profiles.portrait), updated_at = $4",
                user_id,
                name,
                portrait,
                now_ms,
            )

        await self._writer.submit(job)

    async def exists(self, user_id: str) -> bool:
        """Whether the server knows `user_id`."""
        return await self._pool.fetchval("SELECT 1 FROM users WHERE id = $1", user_id) is not None

    async def profile(self, user_id: str) -> Profile | None:
        """The user's profile; None for a user the server does not know."""
        row = await self._pool.fetchrow(
            "SELECT u.created_at, p.name, p.portrait FROM users u"
            " LEFT JOIN user_profiles p ON p.user_id = u.id WHERE u.id = $1",
            user_id,
        )
        if row is None:
            return None
        return Profile(user_id, str(row[1] or ""), str(row[2] or ""), int(row[0]))

    async def block(self, user_ids: Sequence[str], ends_at: int) -> None:
        """Refuse every login of `user_ids` until `ends_at` (ms)."""
        await self._write(
            "INSERT INTO user_blocks(user_id, ends_at) SELECT unnest($1::text[]), $2"
            " ON CONFLICT (user_id) DO UPDATE SET ends_at = excluded.ends_at",
            list(dict.fromkeys(user_ids)),
            ends_at,
        )

    async def unblock(self, user_ids: Sequence[str]) -> None:
        """Lift the blocks of `user_ids`."""
        await self._write("DELETE FROM user_blocks WHERE user_id = ANY($1)", list(user_ids))

    async def blocked_until(self, user_id: str, now_ms: int) -> int | None:
        """When the block of `user_id` ends, if it is blocked at `now_ms`."""
        found = await self._pool.fetchval(
            "SELECT ends_at FROM user_blocks WHERE user_id = $1 AND ends_at > $2", user_id, now_ms
        )
        return int(found) if found is not None else None

    async def blocked(self, now_ms: int) -> list[tuple[str, int]]:
        """Every user blocked at `now_ms`, with the end of the block, by user id."""
        rows = await self._pool.fetch(
            "SELECT user_id, ends_at FROM user_blocks WHERE ends_at > $1 ORDER BY user_id", now_ms
        )
        return [(str(u), int(e)) for u, e in rows]

    async def set_tags(self, user_ids: Sequence[str], tags: Sequence[str]) -> None:
        """Give each of `user_ids` exactly `tags` (replacing the tags they had)."""

        async def job(conn: asyncpg.Connection) -> None:
            await conn.execute("DELETE FROM user_tags WHERE user_id = ANY($1)", list(user_ids))
            await conn.executemany(
                "INSERT INTO user_tags(user_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                [(user_id, tag) for user_id in user_ids for tag in tags],
            )

        await self._writer.submit(job)

    async def profiles(self, user_ids: Sequence[str]) -> dict[str, tuple[str, str, int]]:
        """(name, portrait, updated_at) of each of `user_ids` that has a profile, in one
        read."""
        rows = await self._pool.fetch(
            "SELECT user_id, name, portrait, updated_at FROM user_profiles WHERE user_id = ANY($1)",
            list(user_ids),
        )
        return {str(u): (str(n), str(p), int(t)) for u, n, p, t in rows}

    async def contacts(self, user_id: str) -> list[str]:
        """Everyone who shares a conversation with `user_id` (private peers, members of
        their groups), without `user_id`: who is told when their profile changes."""
        rows = await self._pool.fetch(
            "SELECT DISTINCT o.user_id FROM members m JOIN members o ON o.conv_id = m.conv_id"
            " WHERE m.user_id = $1 AND o.user_id != $1",
            user_id,
        )
        return [str(row[0]) for row in rows]

    async def tagged(self, tags: Sequence[str]) -> list[str]:
        """The users with any of `tags`, each once, in order."""
        rows = await self._pool.fetch(
            "SELECT DISTINCT user_id FROM user_tags WHERE tag = ANY($1) ORDER BY user_id",
            list(tags),
        )
        return [str(row[0]) for row in rows]

    async def tags(self, user_ids: Sequence[str]) -> dict[str, list[str]]:
        """The tags of each of `user_ids` (an empty list for a user without any)."""
        found: dict[str, list[str]] = {user_id: [] for user_id in user_ids}
        rows = await self._pool.fetch(
            "SELECT user_id, tag FROM user_tags WHERE user_id = ANY($1) ORDER BY tag",
            list(found),
        )
        for user_id, tag in rows:
            found[str(user_id)].append(str(tag))
        return found

    async def groups_of(self, user_id: str) -> list[tuple[str, str]]:
        """The groups `user_id` is in now: (id, name), by id."""
        rows = await self._pool.fetch(
            "SELECT g.id, g.name FROM members m JOIN conversations c ON c.id = m.conv_id"
            " JOIN groups g ON c.key = $1 || g.id"
            " WHERE m.user_id = $2 AND m.left_seq IS NULL ORDER BY g.id",
            group_key(""),
            user_id,
        )
        return [(str(g), str(n)) for g, n in rows]

    async def ids_after(self, after: str, limit: int) -> list[str]:
        """Up to `limit` user ids that sort after `after`, in order (a page of all)."""
        rows = await self._pool.fetch(
            "SELECT id FROM users WHERE id > $1 ORDER BY id LIMIT $2", after, limit
        )
        return [str(row[0]) for row in rows]


class PgTokens(_Table):
    """Each user's token version: tokens issued under an older one are revoked."""

    async def current(self, user_id: str) -> int:
        """The version tokens of `user_id` must carry (0 until a first revocation)."""
        found = await self._pool.fetchval(
            "SELECT version FROM token_versions WHERE user_id = $1", user_id
        )
        return int(found) if found is not None else 0

    async def revoke(self, user_id: str) -> int:
        """Refuse every token of `user_id` issued so far; returns the new version."""

        async def job(conn: asyncpg.Connection) -> int:
            found = await conn.fetchval(
                "INSERT INTO token_versions(user_id, version, change)"
                " VALUES ($1, 1, (SELECT COALESCE(MAX(change), 0) + 1 FROM token_versions))"
                " ON CONFLICT (user_id) DO UPDATE SET version = token_versions.version + 1,"
                " change = excluded.change RETURNING version",
                user_id,
            )
            return int(found)

        return await self._writer.submit(job)

    async def last_change(self) -> int:
        """The latest revocation's `change` (0 if none): where to start watching."""
        return int(await self._pool.fetchval("SELECT COALESCE(MAX(change), 0) FROM token_versions"))

    async def changes_since(self, change: int) -> list[Revocation]:
        """The revocations after `change`, oldest first."""
        rows = await self._pool.fetch(
            "SELECT user_id, version, change FROM token_versions WHERE change > $1 ORDER BY change",
            change,
        )
        return [Revocation(str(u), int(v), int(c)) for u, v, c in rows]


class PgWords(_Table):
    """The app's sensitive words: kept in memory while the node hears the store's
    notices (a change on any node drops them everywhere), read on each send otherwise."""

    def __init__(self, writer: PgWriter, pool: asyncpg.Pool, notices: Notices) -> None:
        super().__init__(writer, pool)
        self._notices = notices
        self._filter: WordFilter | None = None
        notices.on(_WORDS, self._forget)

    def _forget(self, _: str) -> None:
        self._filter = None

    @property
    def active(self) -> bool:
        """False once the words are known to be none: sends need no screening then."""
        kept = self._filter if self._notices.listening else None
        return kept is None or bool(kept)

    async def current(self) -> WordFilter:
        """The filter of the words set now (kept, while that may be trusted)."""
        if self._filter is not None and self._notices.listening:
            return self._filter
        generation = self._notices.generation
        rows = await self._pool.fetch("SELECT word, replace FROM sensitive_words")
        words = WordFilter({str(w): (None if r is None else str(r)) for w, r in rows})
        if self._notices.listening and self._notices.generation == generation:
            self._filter = words
        return words

    async def screened(self, content: dict[str, Any], request_id: int = 0) -> dict[str, Any]:
        """`content` with its text's words replaced; ProtocolError 21501 when a refusing
        word is in it."""
        text = content.get("content")
        if not isinstance(text, str) or not text:
            return content
        return screen(await self.current(), content, request_id)

    async def add(self, word: str, replace: str | None) -> bool:
        """Set `word` (refused, or replaced by `replace`); False past MAX_WORDS."""

        async def job(conn: asyncpg.Connection) -> bool:
            await conn.execute("LOCK TABLE sensitive_words IN EXCLUSIVE MODE")
            known = await conn.fetchval("SELECT 1 FROM sensitive_words WHERE word = $1", word)
            count = await conn.fetchval("SELECT COUNT(*) FROM sensitive_words")
            if known is None and count >= MAX_WORDS:
                return False
            await conn.execute(
                "INSERT INTO sensitive_words(word, replace) VALUES ($1, $2)"
                " ON CONFLICT (word) DO UPDATE SET replace = excluded.replace",
                word,
                replace,
            )
            await notify(conn, self._notices.channel, _WORDS, "")
            return True

        added = await self._writer.submit(job)
        self._changed()
        return added

    def _changed(self) -> None:
        """This node changed the words: it knows at once (its notice comes later)."""
        self._notices.changed_here()
        self._filter = None

    async def remove(self, words: Sequence[str]) -> None:
        """Forget `words`."""

        async def job(conn: asyncpg.Connection) -> None:
            await conn.execute("DELETE FROM sensitive_words WHERE word = ANY($1)", list(words))
            await notify(conn, self._notices.channel, _WORDS, "")

        await self._writer.submit(job)
        self._changed()

    async def listed(self) -> list[tuple[str, str | None]]:
        """Every word with its replacement (None: refused), by word."""
        rows = await self._pool.fetch("SELECT word, replace FROM sensitive_words ORDER BY word")
        return [(str(w), None if r is None else str(r)) for w, r in rows]


class PgHistory(_Table):
    """Reads of an hour's messages, and the hours whose log was deleted."""

    async def page(self, hour_ms: int, after_uid: str, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` entries of the log of the hour starting at `hour_ms`, after
        `after_uid` ("" from the start), oldest first; [] when that log was deleted."""
        if await self.deleted(hour_ms):
            return []
        rows = await self._pool.fetch(
            "SELECT m.uid, m.sender, c.key, m.object_name, m.content, m.sent_at,"
            " (SELECT target FROM members t WHERE t.conv_id = m.conv_id AND t.user_id = m.sender)"
            " FROM messages m JOIN conversations c ON c.id = m.conv_id"
            " WHERE m.uid >= $1 AND m.uid > $2 AND m.uid < $3 AND m.sent_at >= $4"
            " AND m.sent_at < $5 ORDER BY m.uid LIMIT $6",
            uid_floor(hour_ms),
            after_uid,
            uid_floor(hour_ms + HOUR_MS),
            hour_ms,
            hour_ms + HOUR_MS,
            limit,
        )
        return [log_entry(row) for row in rows]

    async def delete(self, hour_ms: int) -> None:
        """Delete the log of the hour starting at `hour_ms` (not its messages)."""
        await self._write(
            "INSERT INTO history_logs_deleted(hour_ms) VALUES ($1) ON CONFLICT DO NOTHING", hour_ms
        )

    async def deleted(self, hour_ms: int) -> bool:
        """Whether the log of that hour was deleted."""
        found = await self._pool.fetchval(
            "SELECT 1 FROM history_logs_deleted WHERE hour_ms = $1", hour_ms
        )
        return found is not None


class PgPushTexts(_Table):
    """Push texts the app server gave its messages, by message uid."""

    async def keep(self, uids: Sequence[str], content: str, data: str) -> None:
        """Keep the push text (`content`) and payload (`data`) of the messages `uids`."""
        await self._write(
            "INSERT INTO push_texts(uid, content, data) SELECT unnest($1::text[]), $2, $3"
            " ON CONFLICT (uid) DO UPDATE SET content = excluded.content, data = excluded.data",
            list(dict.fromkeys(uids)),
            content,
            data,
        )

    async def get(self, uid: str) -> tuple[str, str] | None:
        """The push text and payload of message `uid`; None when none was given."""
        row = await self._pool.fetchrow("SELECT content, data FROM push_texts WHERE uid = $1", uid)
        return (str(row[0]), str(row[1])) if row is not None else None


class PgBroadcasts(_Table):
    """When the Server API's broadcasts went out."""

    async def take(self, now_ms: int, since: int, allows: Allows) -> bool:
        """Let a broadcast through at `now_ms` if `allows(times since `since`, now_ms)`,
        and note it (one writer job: the batches of all nodes run one after another,
        so two nodes never both take the last one)."""

        async def job(conn: asyncpg.Connection) -> bool:
            await conn.execute("DELETE FROM api_broadcasts WHERE sent_at < $1", since)
            rows = await conn.fetch("SELECT sent_at FROM api_broadcasts ORDER BY sent_at")
            if not allows([int(row[0]) for row in rows], now_ms):
                return False
            await conn.execute("INSERT INTO api_broadcasts(sent_at) VALUES ($1)", now_ms)
            return True

        return bool(await self._writer.submit(job))
