"""Groups in the server store: who is in them, their name and owner, joining and leaving.

Membership is the members table the conversations already use, so sending, pulling and
syncing follow a change at once. A new member starts with the group's history cleared up
to the moment they joined (and read up to it): they see only messages sent after joining.
A dismissed group has no members left, so nobody can send to it or read it any more.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from imkit_tui.storage import BatchWriter, Database

GROUP_TYPE = 3


def group_key(group_id: str) -> str:
    """The storage key of a group's conversation."""
    return f"{GROUP_TYPE}:{group_id}"


@dataclass(frozen=True, slots=True)
class GroupRecord:
    """A group's name, owner and members (the owner first, then by joining)."""

    group_id: str
    name: str
    owner: str
    members: list[str]


class GroupStore:
    """Group membership and settings. Mixed into ServerStore."""

    _writer: BatchWriter
    _reader: Database
    _group_members: dict[str, list[str]]

    async def group(self, group_id: str) -> GroupRecord | None:
        """The group as it is now, or None when there is no such group."""
        row = await self._reader.fetch_one(
            "SELECT name, owner FROM groups WHERE id = ?", (group_id,)
        )
        if row is None:
            return None
        members = await self._reader.fetch_all(
            "SELECT m.user_id FROM members m JOIN conversations c ON c.id = m.conv_id"
            " WHERE c.key = ? ORDER BY m.user_id != ?, m.joined_at, m.user_id",
            (group_key(group_id), row[1]),
        )
        return GroupRecord(group_id, str(row[0]), str(row[1]), [str(m[0]) for m in members])

    async def add_members(self, group_id: str, user_ids: Sequence[str], now_ms: int) -> list[str]:
        """Add users to a group; returns those who were not members yet. Each starts
        with the history before now hidden and read."""

        def job(conn: sqlite3.Connection) -> list[str]:
            row = conn.execute(
                "SELECT id, max_seq FROM conversations WHERE key = ?", (group_key(group_id),)
            ).fetchone()
            if row is None:
                return []
            added: list[str] = []
            for user_id in dict.fromkeys(user_ids):
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO members"
                    "(user_id, conv_id, target, joined_at, cleared_seq, read_seq)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (user_id, row[0], group_id, now_ms, row[1], row[1]),
                )
                if cursor.rowcount:
                    added.append(user_id)
            return added

        added = await self._writer.submit(job)
        self._group_members.pop(group_id, None)
        return added

    async def remove_members(self, group_id: str, user_ids: Sequence[str]) -> list[str]:
        """Take users out of a group; returns those who were members."""

        def job(conn: sqlite3.Connection) -> list[str]:
            removed: list[str] = []
            for user_id in dict.fromkeys(user_ids):
                cursor = conn.execute(
                    "DELETE FROM members WHERE user_id = ? AND conv_id ="
                    " (SELECT id FROM conversations WHERE key = ?)",
                    (user_id, group_key(group_id)),
                )
                if cursor.rowcount:
                    removed.append(user_id)
            return removed

        removed = await self._writer.submit(job)
        self._group_members.pop(group_id, None)
        return removed

    async def rename_group(self, group_id: str, name: str) -> None:
        """Give a group a new name."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE groups SET name = ? WHERE id = ?", (name, group_id))

        await self._writer.submit(job)
