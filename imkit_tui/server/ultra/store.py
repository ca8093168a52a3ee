"""Ultra groups in the server store: groups, channels, members, voices and the member's
own settings (the store's `ultra`). Jobs run on the store's writer, reads on its reader.

Nothing here is written per message or read per member: a group keeps its member count,
a member has one row per group (and one per channel they read or set), and a channel's
messages are a conversation of type 10 in the messages table, stored once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from imkit_tui.protocol import ErrorCode, UltraChannelState
from imkit_tui.server.ultra.counts import ChannelView, channel_state, channel_view
from imkit_tui.server.ultra.records import (
    Channel,
    MemberChannel,
    MemberRow,
    UltraGroup,
    UltraRefused,
    member_changes,
)
from imkit_tui.server.ultra.store_rows import (
    add_channel,
    add_member,
    check_cap,
    delete_before,
    drop_conversation,
    is_member,
    load_group,
    member_row,
    refuse_channel,
)
from imkit_tui.storage import BatchWriter, Database


def _no_group() -> UltraRefused:
    return UltraRefused(ErrorCode.ULTRA_GROUP_NOT_FOUND, "no such ultra group")


class UltraStore:
    """Ultra groups: their rows, kept in memory once read (a group, never its members)."""

    def __init__(self, writer: BatchWriter, reader: Database) -> None:
        self._writer = writer
        self._reader = reader
        self._groups: dict[str, UltraGroup] = {}

    # ------------------------------------------------------------------ groups

    async def group(self, group_id: str) -> UltraGroup | None:
        """The group as it is now (None: there is none); cached."""
        cached = self._groups.get(group_id)
        if cached is not None:
            return cached
        loaded = await self._reader.run(lambda conn: load_group(conn, group_id))
        if loaded is not None:
            self._groups[group_id] = loaded
        return loaded

    async def require(self, group_id: str) -> UltraGroup:
        """The group; UltraRefused 24410 when there is none."""
        group = await self.group(group_id)
        if group is None:
            raise _no_group()
        return group

    async def _change(self, group_id: str, job: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run `job` on the writer, then drop the cached group (it changed)."""
        try:
            return await self._writer.submit(job)
        finally:
            self._groups.pop(group_id, None)

    async def create(
        self,
        group_id: str,
        name: str,
        owner: str,
        now_ms: int,
        *,
        max_joined: int,
        default_level: str = "all",
        pre_join_history: bool = False,
    ) -> None:
        """Create a group owned (and joined) by `owner`, with its default channel.
        UltraRefused: the id is taken (33003), the owner is in `max_joined` groups (24412)."""

        def job(conn: sqlite3.Connection) -> None:
            taken = conn.execute("SELECT 1 FROM ultra_groups WHERE id = ?", (group_id,)).fetchone()
            if taken:
                raise UltraRefused(ErrorCode.INVALID_PARAMETER, "that ultra group exists already")
            check_cap(conn, owner, max_joined)
            conn.execute(
                "INSERT INTO ultra_groups(id, name, owner, created_at, default_level,"
                " pre_join_history) VALUES (?, ?, ?, ?, ?, ?)",
                (group_id, name, owner, now_ms, default_level, int(pre_join_history)),
            )
            add_channel(conn, group_id, "", "", now_ms)
            add_member(conn, group_id, owner, now_ms)

        await self._change(group_id, job)

    async def join(self, group_id: str, user_id: str, now_ms: int, *, max_joined: int) -> bool:
        """`user_id` joins (False: a member already). UltraRefused 24410, 24412."""

        def job(conn: sqlite3.Connection) -> bool:
            if (
                conn.execute("SELECT 1 FROM ultra_groups WHERE id = ?", (group_id,)).fetchone()
                is None
            ):
                raise _no_group()
            if is_member(conn, group_id, user_id):
                return False
            check_cap(conn, user_id, max_joined)
            add_member(conn, group_id, user_id, now_ms)
            return True

        joined: bool = await self._change(group_id, job)
        return joined

    async def quit(self, group_id: str, user_id: str) -> bool:
        """`user_id` leaves (False: was not a member); their own rows go with them."""

        def job(conn: sqlite3.Connection) -> bool:
            gone = conn.execute(
                "DELETE FROM ultra_members WHERE group_id = ? AND user_id = ?", (group_id, user_id)
            ).rowcount
            if not gone:
                return False
            conn.execute(
                "DELETE FROM ultra_member_channels WHERE group_id = ? AND user_id = ?",
                (group_id, user_id),
            )
            conn.execute(
                "UPDATE ultra_groups SET member_count = member_count - 1 WHERE id = ?",
                (group_id,),
            )
            return True

        left: bool = await self._change(group_id, job)
        return left

    async def dismiss(self, group_id: str) -> list[str]:
        """Delete the group, its channels' messages and every member's rows; return the
        members' ids (to tell those online)."""

        def job(conn: sqlite3.Connection) -> list[str]:
            members = [
                r[0]
                for r in conn.execute(
                    "SELECT user_id FROM ultra_members WHERE group_id = ?", (group_id,)
                )
            ]
            for (key,) in conn.execute(
                "SELECT conv_key FROM ultra_channels WHERE group_id = ?", (group_id,)
            ).fetchall():
                drop_conversation(conn, key)
            for table in ("ultra_channels", "ultra_members", "ultra_member_channels"):
                conn.execute(f"DELETE FROM {table} WHERE group_id = ?", (group_id,))
            conn.execute("DELETE FROM ultra_voices WHERE group_id = ?", (group_id,))
            conn.execute("DELETE FROM ultra_groups WHERE id = ?", (group_id,))
            return members

        members: list[str] = await self._change(group_id, job)
        return members

    async def update_group(
        self,
        group_id: str,
        *,
        name: str | None = None,
        default_level: str | None = None,
        pre_join_history: bool | None = None,
        all_muted: bool | None = None,
    ) -> None:
        """Change the group's name or options (fields left None stay)."""
        sets = {
            "name": name,
            "default_level": default_level,
            "pre_join_history": None if pre_join_history is None else int(pre_join_history),
            "all_muted": None if all_muted is None else int(all_muted),
        }
        changed = {k: v for k, v in sets.items() if v is not None}
        if not changed:
            return
        assignments = ", ".join(f"{column} = ?" for column in changed)

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                f"UPDATE ultra_groups SET {assignments} WHERE id = ?", (*changed.values(), group_id)
            )

        await self._change(group_id, job)

    async def set_voices(self, group_id: str, kind: str, user_ids: list[str], on: bool) -> None:
        """Add `user_ids` to (or with `on` False, remove them from) the muted
        (`kind` "muted") or the speakers ("speaker")."""

        def job(conn: sqlite3.Connection) -> None:
            sql = (
                "INSERT OR IGNORE INTO ultra_voices(group_id, user_id, kind) VALUES (?, ?, ?)"
                if on
                else "DELETE FROM ultra_voices WHERE group_id = ? AND user_id = ? AND kind = ?"
            )
            conn.executemany(sql, [(group_id, user, kind) for user in user_ids])

        await self._change(group_id, job)

    # ------------------------------------------------------------------ channels

    async def add_channel(
        self, group_id: str, channel: str, name: str, now_ms: int, *, max_channels: int
    ) -> None:
        """Make a channel. UltraRefused: it exists (33003), too many (24413)."""

        def job(conn: sqlite3.Connection) -> None:
            count = conn.execute(
                "SELECT COUNT(*) FROM ultra_channels WHERE group_id = ? AND channel != ''",
                (group_id,),
            ).fetchone()[0]
            exists = conn.execute(
                "SELECT 1 FROM ultra_channels WHERE group_id = ? AND channel = ?",
                (group_id, channel),
            ).fetchone()
            refuse_channel(exists is not None, count, max_channels)
            add_channel(conn, group_id, channel, name, now_ms)

        await self._change(group_id, job)

    async def rename_channel(self, group_id: str, channel: str, name: str) -> None:
        """Rename a channel (it exists: checked by the caller)."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE ultra_channels SET name = ? WHERE group_id = ? AND channel = ?",
                (name, group_id, channel),
            )

        await self._change(group_id, job)

    async def delete_channel(self, group_id: str, channel: Channel) -> None:
        """Delete a channel and its messages (and every member's view of it)."""

        def job(conn: sqlite3.Connection) -> None:
            drop_conversation(conn, channel.conv_key)
            conn.execute(
                "DELETE FROM ultra_channels WHERE group_id = ? AND channel = ?",
                (group_id, channel.channel),
            )
            conn.execute(
                "DELETE FROM ultra_member_channels WHERE group_id = ? AND channel = ?",
                (group_id, channel.channel),
            )

        await self._change(group_id, job)

    async def floor_before(self, group_id: str, channels: list[Channel], before: int) -> int:
        """Delete, for everyone, the messages sent before `before` in `channels`; their
        `floor_at` moves forward. Returns how many messages went."""

        def job(conn: sqlite3.Connection) -> int:
            removed = 0
            for channel in channels:
                conn.execute(
                    "UPDATE ultra_channels SET floor_at = MAX(floor_at, ?)"
                    " WHERE group_id = ? AND channel = ?",
                    (before, group_id, channel.channel),
                )
                removed += delete_before(conn, channel.conv_key, before)
            return removed

        removed: int = await self._change(group_id, job)
        return removed

    # ------------------------------------------------------------------ members

    async def member(self, group_id: str, user_id: str) -> MemberRow | None:
        """`user_id`'s row in the group (None: not a member)."""
        row = await self._reader.fetch_one(
            "SELECT joined_at, level, dnd, cleared_at, join_seqs FROM ultra_members"
            " WHERE group_id = ? AND user_id = ?",
            (group_id, user_id),
        )
        return None if row is None else member_row(row)

    async def member_channels(self, group_id: str, user_id: str) -> dict[str, MemberChannel]:
        """`user_id`'s own view of each channel they read or set (by channel id)."""
        rows = await self._reader.fetch_all(
            "SELECT channel, read_seq, level, dnd, cleared_at FROM ultra_member_channels"
            " WHERE group_id = ? AND user_id = ?",
            (group_id, user_id),
        )
        return {r[0]: MemberChannel(r[1], r[2], bool(r[3]), r[4]) for r in rows}

    async def groups_of(self, user_id: str) -> list[str]:
        """The ultra groups `user_id` is in."""
        rows = await self._reader.fetch_all(
            "SELECT group_id FROM ultra_members WHERE user_id = ? ORDER BY group_id", (user_id,)
        )
        return [r[0] for r in rows]

    async def push_settings(
        self, group_id: str, channel: str, after: str, limit: int
    ) -> list[tuple[str, str, bool, str, bool]]:
        """A page of members after `after` (by id) with their levels and DND for the
        group and for `channel`: (user, group level, group dnd, channel level, channel
        dnd), for deciding offline pushes."""
        rows = await self._reader.fetch_all(
            "SELECT m.user_id, m.level, m.dnd, COALESCE(c.level, 'default'), COALESCE(c.dnd, 0)"
            " FROM ultra_members m LEFT JOIN ultra_member_channels c"
            " ON c.group_id = m.group_id AND c.user_id = m.user_id AND c.channel = ?"
            " WHERE m.group_id = ? AND m.user_id > ? ORDER BY m.user_id LIMIT ?",
            (channel, group_id, after, limit),
        )
        return [(r[0], r[1], bool(r[2]), r[3], bool(r[4])) for r in rows]

    async def set_member(
        self,
        group_id: str,
        user_id: str,
        channel: str | None,
        *,
        level: str | None = None,
        dnd: bool | None = None,
        cleared_at: int | None = None,
        read_seq: int | None = None,
    ) -> bool:
        """Change the member's own settings of the group (`channel` None) or of one
        channel; `cleared_at` and `read_seq` only move forward. False: nothing changed."""

        def job(conn: sqlite3.Connection) -> bool:
            if channel is None:
                table, where = "ultra_members", "group_id = ? AND user_id = ?"
                keys: tuple[str, ...] = (group_id, user_id)
            else:
                table, where = (
                    "ultra_member_channels",
                    "group_id = ? AND user_id = ? AND channel = ?",
                )
                keys = (group_id, user_id, channel)
                conn.execute(
                    "INSERT OR IGNORE INTO ultra_member_channels(group_id, user_id, channel)"
                    " VALUES (?, ?, ?)",
                    keys,
                )
            changes = 0
            for column, comparison, value in member_changes(
                channel, level=level, dnd=dnd, cleared_at=cleared_at, read_seq=read_seq
            ):
                changes += conn.execute(
                    f"UPDATE {table} SET {column} = ? WHERE {where} AND {column} {comparison} ?",
                    (value, *keys, value),
                ).rowcount
            return changes > 0

        changed: bool = await self._writer.submit(job)
        return changed

    # ------------------------------------------------------------------ messages

    async def states(
        self,
        user_id: str,
        group: UltraGroup,
        member: MemberRow,
        channels: list[str] | None,
        retention_from: int,
    ) -> list[UltraChannelState]:
        """`user_id`'s state of each channel of `group` (of `channels` only, if given),
        unread and mention counts included (server/ultra/counts.py)."""
        mine = await self.member_channels(group.group_id, user_id)
        wanted = [c for c in group.channels.values() if channels is None or c.channel in channels]

        def read(conn: sqlite3.Connection) -> list[UltraChannelState]:
            return [
                channel_state(
                    conn, user_id, group, c, member, mine.get(c.channel, _NOTHING), retention_from
                )
                for c in wanted
            ]

        return await self._reader.run(read)

    async def view(
        self,
        group: UltraGroup,
        channel: Channel,
        user_id: str,
        member: MemberRow,
        retention_from: int,
    ) -> ChannelView:
        """Where `user_id`'s view of `channel` starts (its conversation id, 0: none)."""
        mine = (await self.member_channels(group.group_id, user_id)).get(channel.channel, _NOTHING)
        return await self._reader.run(
            lambda conn: channel_view(conn, group, channel, member, mine, retention_from)
        )

    async def message(self, conv_key: str, uid: str) -> tuple[int, str, str] | None:
        """The seq, sender and type of message `uid` in a channel (None: not there)."""
        row = await self._reader.fetch_one(
            "SELECT m.seq, m.sender, m.object_name FROM messages m"
            " JOIN conversations c ON c.id = m.conv_id WHERE c.key = ? AND m.uid = ?",
            (conv_key, uid),
        )
        return (int(row[0]), str(row[1]), str(row[2])) if row else None

    async def max_seq(self, channel: Channel) -> int:
        """The newest seq of a channel (0: nothing sent yet)."""
        row = await self._reader.fetch_one(
            "SELECT max_seq FROM conversations WHERE key = ?", (channel.conv_key,)
        )
        return int(row[0]) if row else 0

    async def edits(self, conv_id: int, low: int, high: int) -> dict[int, tuple[int, int]]:
        """The edited messages with seqs in [low, high]: seq -> (edited_at, edit_seq)."""
        rows = await self._reader.fetch_all(
            "SELECT seq, edited_at, edit_seq FROM ultra_edits"
            " WHERE conv_id = ? AND seq BETWEEN ? AND ?",
            (conv_id, low, high),
        )
        return {int(r[0]): (int(r[1]), int(r[2])) for r in rows}

    async def prune(self, older_than_ms: int) -> int:
        """Delete every channel's messages older than `older_than_ms` (their cloud
        history retention); return how many went."""

        def job(conn: sqlite3.Connection) -> int:
            keys = [r[0] for r in conn.execute("SELECT conv_key FROM ultra_channels")]
            return sum(delete_before(conn, key, older_than_ms) for key in keys)

        removed: int = await self._writer.submit(job)
        return removed


_NOTHING = MemberChannel()
