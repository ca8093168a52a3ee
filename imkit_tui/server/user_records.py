"""What the app server says about its users, in the server store: names and portraits
(`/user/getToken`, `/user/refresh`), tags (`/user/tag/set`), and blocks (`/user/block`):
a blocked user cannot log in until the block ends (checked at login, server/devices.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from imkit_tui.server.group_store import group_key
from imkit_tui.storage import BatchWriter, Database


@dataclass(frozen=True, slots=True)
class Profile:
    """A user's name and portrait URL as the app server set them."""

    user_id: str
    name: str
    portrait: str
    created_at: int


class UserRecords:
    """Reads and writes of user profiles and blocks (a ServerStore part)."""

    def __init__(self, writer: BatchWriter, reader: Database) -> None:
        self._writer = writer
        self._reader = reader

    async def set_profile(
        self, user_id: str, name: str | None, portrait: str | None, now_ms: int
    ) -> None:
        """Record the user (if new) and set the name and portrait given (None: unchanged)."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR IGNORE INTO users(id, created_at) VALUES (?, ?)", (user_id, now_ms)
            )
            conn.execute(
                "INSERT INTO user_profiles(user_id, name, portrait, updated_at)"
                " VALUES (?, COALESCE(?, ''), COALESCE(?, ''), ?)"
                " ON CONFLICT (user_id) DO UPDATE SET name = COALESCE(?, name),"
                " portrait = COALESCE(?, portrait), updated_at = excluded.updated_at",
                (user_id, name, portrait, now_ms, name, portrait),
            )

        await self._writer.submit(job)

    async def exists(self, user_id: str) -> bool:
        """Whether the server knows `user_id` (it got a token, or was named in a group)."""
        row = await self._reader.fetch_one("SELECT 1 FROM users WHERE id = ?", (user_id,))
        return row is not None

    async def profile(self, user_id: str) -> Profile | None:
        """The user's profile; None for a user the server does not know."""
        row = await self._reader.fetch_one(
            "SELECT u.created_at, p.name, p.portrait FROM users u"
            " LEFT JOIN user_profiles p ON p.user_id = u.id WHERE u.id = ?",
            (user_id,),
        )
        if row is None:
            return None
        return Profile(user_id, str(row[1] or ""), str(row[2] or ""), int(row[0]))

    async def profiles(self, user_ids: Sequence[str]) -> dict[str, tuple[str, str, int]]:
        """(name, portrait, updated_at) of each of `user_ids` that has a profile, in one
        read (a ProfileQuery asks for up to 100 at once)."""
        if not user_ids:
            return {}
        marks = ",".join("?" * len(user_ids))
        rows = await self._reader.fetch_all(
            f"SELECT user_id, name, portrait, updated_at FROM user_profiles"
            f" WHERE user_id IN ({marks})",
            tuple(user_ids),
        )
        return {str(u): (str(n), str(p), int(t)) for u, n, p, t in rows}

    async def contacts(self, user_id: str) -> list[str]:
        """Everyone who shares a conversation with `user_id` (private peers, members of
        their groups), without `user_id`: who is told when their profile changes."""
        rows = await self._reader.fetch_all(
            "SELECT DISTINCT o.user_id FROM members m JOIN members o ON o.conv_id = m.conv_id"
            " WHERE m.user_id = ? AND o.user_id != ?",
            (user_id, user_id),
        )
        return [str(row[0]) for row in rows]

    async def block(self, user_ids: Sequence[str], ends_at: int) -> None:
        """Refuse every login of `user_ids` until `ends_at` (ms)."""

        def job(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "INSERT INTO user_blocks(user_id, ends_at) VALUES (?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET ends_at = excluded.ends_at",
                [(user_id, ends_at) for user_id in user_ids],
            )

        await self._writer.submit(job)

    async def unblock(self, user_ids: Sequence[str]) -> None:
        """Lift the blocks of `user_ids`."""

        def job(conn: sqlite3.Connection) -> None:
            conn.executemany("DELETE FROM user_blocks WHERE user_id = ?", [(u,) for u in user_ids])

        await self._writer.submit(job)

    async def blocked_until(self, user_id: str, now_ms: int) -> int | None:
        """When the block of `user_id` ends, if it is blocked at `now_ms`."""
        row = await self._reader.fetch_one(
            "SELECT ends_at FROM user_blocks WHERE user_id = ? AND ends_at > ?",
            (user_id, now_ms),
        )
        return int(row[0]) if row is not None else None

    async def blocked(self, now_ms: int) -> list[tuple[str, int]]:
        """Every user blocked at `now_ms`, with the end of the block, by user id."""
        rows = await self._reader.fetch_all(
            "SELECT user_id, ends_at FROM user_blocks WHERE ends_at > ? ORDER BY user_id",
            (now_ms,),
        )
        return [(str(u), int(e)) for u, e in rows]

    async def set_tags(self, user_ids: Sequence[str], tags: Sequence[str]) -> None:
        """Give each of `user_ids` exactly `tags` (replacing the tags they had)."""

        def job(conn: sqlite3.Connection) -> None:
            conn.executemany("DELETE FROM user_tags WHERE user_id = ?", [(u,) for u in user_ids])
            conn.executemany(
                "INSERT OR IGNORE INTO user_tags(user_id, tag) VALUES (?, ?)",
                [(user_id, tag) for user_id in user_ids for tag in tags],
            )

        await self._writer.submit(job)

    async def tags(self, user_ids: Sequence[str]) -> dict[str, list[str]]:
        """The tags of each of `user_ids` (an empty list for a user without any)."""
        found: dict[str, list[str]] = {user_id: [] for user_id in user_ids}
        for user_id in found:
            rows = await self._reader.fetch_all(
                "SELECT tag FROM user_tags WHERE user_id = ? ORDER BY tag", (user_id,)
            )
            found[user_id] = [str(row[0]) for row in rows]
        return found

    async def tagged(self, tags: Sequence[str]) -> list[str]:
        """The users with any of `tags`, each once, in order."""
        if not tags:
            return []
        marks = ",".join("?" * len(tags))
        rows = await self._reader.fetch_all(
            f"SELECT DISTINCT user_id FROM user_tags WHERE tag IN ({marks}) ORDER BY user_id",
            tuple(tags),
        )
        return [str(row[0]) for row in rows]

    async def groups_of(self, user_id: str) -> list[tuple[str, str]]:
        """The groups `user_id` is in now: (id, name), by id."""
        rows = await self._reader.fetch_all(
            "SELECT g.id, g.name FROM members m JOIN conversations c ON c.id = m.conv_id"
            " JOIN groups g ON c.key = ? || g.id"
            " WHERE m.user_id = ? AND m.left_seq IS NULL ORDER BY g.id",
            (group_key(""), user_id),
        )
        return [(str(g), str(n)) for g, n in rows]

    async def ids_after(self, after: str, limit: int) -> list[str]:
        """Up to `limit` user ids that sort after `after`, in order (a page of all)."""
        rows = await self._reader.fetch_all(
            "SELECT id FROM users WHERE id > ? ORDER BY id LIMIT ?", (after, limit)
        )
        return [str(row[0]) for row in rows]
