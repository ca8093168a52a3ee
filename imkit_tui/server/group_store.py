"""Groups in the server store: who is in them, their name and owner, joining and leaving.

Membership is the members table the conversations already use, so sending, pulling and
syncing follow a change at once. A new member starts with the group's history cleared up
to the moment they joined (and read up to it): they see only messages sent after joining.
A dismissed group has no members left, so nobody can send to it; those who were in it
read what came before they left, as anyone who left a group does.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from imkit_tui.server.store_records import ChangeIds
from imkit_tui.storage import BatchWriter, Database

GROUP_TYPE = 3


def group_key(group_id: str) -> str:
    """The storage key of a group's conversation."""
    return f"{GROUP_TYPE}:{group_id}"


@dataclass(frozen=True, slots=True)
class Voices:
    """Who may send in a group: everyone but the muted, or, with all muted, only the
    owner and the speakers."""

    owner: str
    all_muted: bool
    muted: frozenset[str]
    speakers: frozenset[str]

    def may_speak(self, user_id: str) -> bool:
        """Whether `user_id` (a member) may send in the group now."""
        if user_id == self.owner:
            return True
        if user_id in self.muted:
            return False
        return not self.all_muted or user_id in self.speakers


@dataclass(frozen=True, slots=True)
class GroupRecord:
    """A group's name, owner and members (the owner first, then by joining), and who
    may speak."""

    group_id: str
    name: str
    owner: str
    members: list[str]
    voices: Voices


class GroupStore:
    """Group membership and settings (the store's `groups`): jobs on the store's writer,
    reads on its reader; members and voices kept in memory once read."""

    def __init__(self, writer: BatchWriter, reader: Database, changes: ChangeIds) -> None:
        self._writer = writer
        self._reader = reader
        self._changes = changes
        self._group_members: dict[str, list[str]] = {}
        self._group_voices: dict[str, Voices] = {}

    def forget(self, group_id: str) -> None:
        """Drop what is kept in memory of a group's members (it changed)."""
        self._group_members.pop(group_id, None)

    async def members(self, group_id: str) -> list[str] | None:
        """The members of a group (None when there is no such group); cached."""
        cached = self._group_members.get(group_id)
        if cached is not None:
            return cached
        rows = await self._reader.fetch_all(
            "SELECT m.user_id FROM members m JOIN conversations c ON c.id = m.conv_id"
            " WHERE c.key = ? AND m.left_seq IS NULL ORDER BY m.joined_at, m.user_id",
            (group_key(group_id),),
        )
        if not rows:
            return None
        members = [str(row[0]) for row in rows]
        self._group_members[group_id] = members
        return members

    async def get(self, group_id: str) -> GroupRecord | None:
        """The group as it is now, or None when there is no such group."""
        row = await self._reader.fetch_one(
            "SELECT name, owner FROM groups WHERE id = ?", (group_id,)
        )
        if row is None:
            return None
        members = await self._reader.fetch_all(
            "SELECT m.user_id FROM members m JOIN conversations c ON c.id = m.conv_id"
            " WHERE c.key = ? AND m.left_seq IS NULL"
            " ORDER BY m.user_id != ?, m.joined_at, m.user_id",
            (group_key(group_id), row[1]),
        )
        voices = await self.voices(group_id)
        assert voices is not None
        return GroupRecord(group_id, str(row[0]), str(row[1]), [str(m[0]) for m in members], voices)

    async def add_invitations(
        self, group_id: str, user_ids: Sequence[str], inviter: str, now_ms: int
    ) -> list[str]:
        """Note that `inviter` invited these users (they join when they accept); returns
        those not invited to this group already (asking again says nothing new)."""

        def job(conn: sqlite3.Connection) -> list[str]:
            new = []
            for user_id in dict.fromkeys(user_ids):
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO group_invitations"
                    "(group_id, user_id, inviter, invited_at) VALUES (?, ?, ?, ?)",
                    (group_id, user_id, inviter, now_ms),
                )
                if cursor.rowcount:
                    new.append(user_id)
            return new

        return await self._writer.submit(job)

    async def take_invitation(self, group_id: str, user_id: str) -> str | None:
        """Use up `user_id`'s invitation to the group; who invited them, or None."""

        def job(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "DELETE FROM group_invitations WHERE group_id = ? AND user_id = ?"
                " RETURNING inviter",
                (group_id, user_id),
            ).fetchone()
            return str(row[0]) if row is not None else None

        return await self._writer.submit(job)

    async def left_at(self, group_id: str, user_id: str) -> int | None:
        """The seq at which `user_id` left the group (None: a member, or never one)."""
        row = await self._reader.fetch_one(
            "SELECT m.left_seq FROM members m JOIN conversations c ON c.id = m.conv_id"
            " WHERE c.key = ? AND m.user_id = ?",
            (group_key(group_id), user_id),
        )
        return int(row[0]) if row is not None and row[0] is not None else None

    async def voices(self, group_id: str) -> Voices | None:
        """Who may speak in a group (cached; None when there is no such group)."""
        cached = self._group_voices.get(group_id)
        if cached is not None:
            return cached
        row = await self._reader.fetch_one(
            "SELECT owner, all_muted FROM groups WHERE id = ?", (group_id,)
        )
        if row is None:
            return None
        rows = await self._reader.fetch_all(
            "SELECT kind, user_id FROM group_voices WHERE group_id = ?", (group_id,)
        )
        voices = Voices(
            owner=str(row[0]),
            all_muted=bool(row[1]),
            muted=frozenset(str(r[1]) for r in rows if r[0] == "muted"),
            speakers=frozenset(str(r[1]) for r in rows if r[0] == "speaker"),
        )
        self._group_voices[group_id] = voices
        return voices

    async def set_voices(self, group_id: str, kind: str, user_ids: Sequence[str], on: bool) -> None:
        """Mute or unmute members (kind "muted"), or make them speakers while all are
        muted, or not (kind "speaker")."""

        def job(conn: sqlite3.Connection) -> None:
            if on:
                conn.executemany(
                    "INSERT OR IGNORE INTO group_voices(group_id, user_id, kind) VALUES (?, ?, ?)",
                    [(group_id, user_id, kind) for user_id in user_ids],
                )
            else:
                conn.executemany(
                    "DELETE FROM group_voices WHERE group_id = ? AND user_id = ? AND kind = ?",
                    [(group_id, user_id, kind) for user_id in user_ids],
                )

        await self._writer.submit(job)
        self._group_voices.pop(group_id, None)

    async def set_all_muted(self, group_id: str, on: bool) -> None:
        """Mute everyone but the owner and the speakers, or lift that."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE groups SET all_muted = ? WHERE id = ?", (int(on), group_id))

        await self._writer.submit(job)
        self._group_voices.pop(group_id, None)

    async def add_members(
        self,
        group_id: str,
        user_ids: Sequence[str],
        now_ms: int,
        *,
        with_history: bool = False,
        limit: int | None = None,
    ) -> list[str]:
        """Add users to a group; returns those who were not members yet. Each starts
        with the history before now read, and hidden unless `with_history`.

        Raises GroupFull, adding nobody, when the group would pass `limit` members: the
        count is taken in the same transaction as the insert, so concurrent invites
        cannot together pass it.
        """

        def job(conn: sqlite3.Connection) -> list[str]:
            row = conn.execute(
                "SELECT id, max_seq FROM conversations WHERE key = ?", (group_key(group_id),)
            ).fetchone()
            if row is None:
                return []
            if limit is not None:
                _check_room(conn, row[0], user_ids, limit)
            return join_conversation(
                conn, row[0], row[1], group_id, user_ids, now_ms, with_history=with_history
            )

        added = await self._writer.submit(job)
        self._group_members.pop(group_id, None)
        return added

    async def remove_members(self, group_id: str, user_ids: Sequence[str]) -> list[str]:
        """Take users out of a group; returns those who were members.

        They keep what they had: their row stays with the seq they left at, so a device
        that was away still syncs the messages up to their leaving (the notice of it
        included), and nothing after.
        """

        def job(conn: sqlite3.Connection) -> list[str]:
            return leave_conversation(conn, group_key(group_id), user_ids, self._changes.next())

        removed = await self._writer.submit(job)
        self._group_members.pop(group_id, None)
        return removed

    async def rename(self, group_id: str, name: str) -> None:
        """Give a group a new name."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE groups SET name = ? WHERE id = ?", (name, group_id))

        await self._writer.submit(job)


def join_conversation(
    conn: sqlite3.Connection,
    conv_id: int,
    max_seq: int,
    target: str,
    user_ids: Sequence[str],
    now_ms: int,
    *,
    with_history: bool = False,
) -> list[str]:
    """Make users members of conversation `conv_id` (whose last seq is `max_seq`), seeing
    it as `target`; returns those who were not members yet (one who left comes back).
    Each starts with the history before now read, and hidden unless `with_history`."""
    added: list[str] = []
    for user_id in dict.fromkeys(user_ids):
        cursor = conn.execute(
            "INSERT INTO members"
            "(user_id, conv_id, target, joined_at, cleared_seq, read_seq)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, conv_id) DO UPDATE"
            " SET left_seq = NULL, joined_at = excluded.joined_at,"
            " cleared_seq = excluded.cleared_seq, read_seq = excluded.read_seq"
            " WHERE left_seq IS NOT NULL",
            (user_id, conv_id, target, now_ms, 0 if with_history else max_seq, max_seq),
        )
        if cursor.rowcount:
            added.append(user_id)
    return added


def leave_conversation(
    conn: sqlite3.Connection, conv_key: str, user_ids: Sequence[str], change_id: int
) -> list[str]:
    """Take users out of conversation `conv_key` (their rows keep the seq they left at,
    under change `change_id`); returns those who were members."""
    removed: list[str] = []
    for user_id in dict.fromkeys(user_ids):
        cursor = conn.execute(
            "UPDATE members SET state_change = ?,"
            " left_seq = (SELECT max_seq FROM conversations WHERE id = members.conv_id)"
            " WHERE user_id = ? AND left_seq IS NULL AND conv_id ="
            " (SELECT id FROM conversations WHERE key = ?)",
            (change_id, user_id, conv_key),
        )
        if cursor.rowcount:
            removed.append(user_id)
    return removed


class GroupFull(Exception):
    """Adding these members would take the group past its member limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"a group has at most {limit} members")
        self.limit = limit


def _check_room(
    conn: sqlite3.Connection, conv_id: int, user_ids: Sequence[str], limit: int
) -> None:
    """Raise GroupFull unless the group has room for those of `user_ids` not in it yet."""
    wanted = list(dict.fromkeys(user_ids))
    marks = ",".join("?" * len(wanted))
    (members, already) = conn.execute(
        "SELECT COUNT(*), COUNT(CASE WHEN user_id IN (" + (marks or "NULL") + ") THEN 1 END)"
        " FROM members WHERE conv_id = ? AND left_seq IS NULL",
        (*wanted, conv_id),
    ).fetchone()
    if members + len(wanted) - already > limit:
        raise GroupFull(limit)
