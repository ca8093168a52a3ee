"""Ultra groups on PostgreSQL (as ultra/store.py for SQLite): groups, channels,
members, voices and each member's own settings, shared by every node.

A group (never its members) is kept in memory with its `version`, which every change
moves on in the change's own transaction; each use of it checks that version by key
(one lookup), so a change made on any node holds on every node from its commit (a
notice would come a moment later: a muted member could send in that moment). Nothing is
written per message but its counted row (ultra/message_rows.py, in the message's own
transaction), nothing read per member: a member's unread and mention counts are one
range of the counted rows after their read position (`_COUNT`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg

from imkit_tui.protocol import ErrorCode, UltraChannelState
from imkit_tui.server.pg.ultra_rows import (
    add_channel,
    add_member,
    channel_view,
    check_cap,
    delete_before,
    drop_conversation,
    group_exists,
    load_group,
)
from imkit_tui.server.pg.writer import PgWriter, affected
from imkit_tui.server.ultra.counts import ChannelView, count_query, level_of, state_of
from imkit_tui.server.ultra.records import (
    Channel,
    MemberChannel,
    MemberRow,
    UltraGroup,
    UltraRefused,
    member_changes,
)
from imkit_tui.server.ultra.store_rows import member_row, refuse_channel

T = TypeVar("T")
_NOTHING = MemberChannel()
_COUNT = (
    "SELECT COUNT(*), COALESCE(SUM(CASE WHEN $2 AND strpos(u.mentioned, $1) > 0 THEN 1"
    " WHEN $3 AND u.mention_all THEN 1 ELSE 0 END), 0)"
    " FROM ultra_counted u JOIN messages m ON m.conv_id = u.conv_id AND m.seq = u.seq"
    " WHERE u.conv_id = $4 AND u.seq > $5 AND u.sender <> $6 AND m.object_name <> 'RC:RcNtf'"
)


def _no_group() -> UltraRefused:
    return UltraRefused(ErrorCode.ULTRA_GROUP_NOT_FOUND, "no such ultra group")


class PgUltra:
    """Ultra groups (the store's `ultra`), each group kept with its version."""

    def __init__(self, writer: PgWriter, pool: asyncpg.Pool) -> None:
        self._writer = writer
        self._pool = pool
        self._groups: dict[str, tuple[int, UltraGroup]] = {}

    # ------------------------------------------------------------------ groups

    async def group(self, group_id: str) -> UltraGroup | None:
        """The group as it is now (None: there is none): the one kept while its version
        is the stored one, else read again (in one snapshot) and kept."""
        async with self._pool.acquire() as conn:
            version = await conn.fetchval(
                "SELECT version FROM ultra_groups WHERE id = $1", group_id
            )
            kept = self._groups.get(group_id)
            if version is None:
                self._groups.pop(group_id, None)
                return None
            if kept is not None and kept[0] == version:
                return kept[1]
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                loaded = await load_group(conn, group_id)
        if loaded is None:
            return None
        self._groups[group_id] = loaded
        return loaded[1]

    async def require(self, group_id: str) -> UltraGroup:
        """The group; UltraRefused 24410 when there is none."""
        group = await self.group(group_id)
        if group is None:
            raise _no_group()
        return group

    async def _change(self, group_id: str, job: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """Run `job` on the writer, moving the group's version on in the same transaction."""

        async def changing(conn: asyncpg.Connection) -> T:
            result = await job(conn)
            await conn.execute(
                "UPDATE ultra_groups SET version = version + 1 WHERE id = $1", group_id
            )
            return result

        return await self._writer.submit(changing)

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

        async def job(conn: asyncpg.Connection) -> None:
            if await conn.fetchval("SELECT 1 FROM ultra_groups WHERE id = $1", group_id):
                raise UltraRefused(ErrorCode.INVALID_PARAMETER, "that ultra group exists already")
            await check_cap(conn, owner, max_joined)
            created = await conn.execute(
                "INSERT INTO ultra_groups(id, name, owner, created_at, default_level,"
                " pre_join_history) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                group_id,
                name,
                owner,
                now_ms,
                default_level,
                pre_join_history,
            )
            if not affected(created):
                raise UltraRefused(ErrorCode.INVALID_PARAMETER, "that ultra group exists already")
            await add_channel(conn, group_id, "", "", now_ms)
            await add_member(conn, group_id, owner, now_ms)

        await self._change(group_id, job)

    async def join(self, group_id: str, user_id: str, now_ms: int, *, max_joined: int) -> bool:
        """`user_id` joins (False: a member already). UltraRefused 24410, 24412."""

        async def job(conn: asyncpg.Connection) -> bool:
            if not await group_exists(conn, group_id):
                raise _no_group()
            member = await conn.fetchval(
                "SELECT 1 FROM ultra_members WHERE group_id = $1 AND user_id = $2",
                group_id,
                user_id,
            )
            if member is not None:
                return False
            await check_cap(conn, user_id, max_joined)
            return await add_member(conn, group_id, user_id, now_ms)

        return await self._change(group_id, job)

    async def quit(self, group_id: str, user_id: str) -> bool:
        """`user_id` leaves (False: was not a member); their own rows go with them."""

        async def job(conn: asyncpg.Connection) -> bool:
            gone = await conn.execute(
                "DELETE FROM ultra_members WHERE group_id = $1 AND user_id = $2",
                group_id,
                user_id,
            )
            if not affected(gone):
                return False
            await conn.execute(
                "DELETE FROM ultra_member_channels WHERE group_id = $1 AND user_id = $2",
                group_id,
                user_id,
            )
            await conn.execute(
                "UPDATE ultra_groups SET member_count = member_count - 1 WHERE id = $1",
                group_id,
            )
            return True

        return await self._change(group_id, job)

    async def dismiss(self, group_id: str) -> list[str]:
        """Delete the group, its channels' messages and every member's rows; return the
        members' ids (to tell those online)."""

        async def job(conn: asyncpg.Connection) -> list[str]:
            members = [
                str(r[0])
                for r in await conn.fetch(
                    "SELECT user_id FROM ultra_members WHERE group_id = $1", group_id
                )
            ]
            for (key,) in await conn.fetch(
                "SELECT conv_key FROM ultra_channels WHERE group_id = $1", group_id
            ):
                await drop_conversation(conn, key)
            for table in ("ultra_channels", "ultra_members", "ultra_member_channels"):
                await conn.execute(f"DELETE FROM {table} WHERE group_id = $1", group_id)
            await conn.execute("DELETE FROM ultra_voices WHERE group_id = $1", group_id)
            await conn.execute("DELETE FROM ultra_groups WHERE id = $1", group_id)
            return members

        return await self._change(group_id, job)

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
        sets: dict[str, Any] = {
            "name": name,
            "default_level": default_level,
            "pre_join_history": pre_join_history,
            "all_muted": all_muted,
        }
        changed = {k: v for k, v in sets.items() if v is not None}
        if not changed:
            return
        assignments = ", ".join(f"{column} = ${n}" for n, column in enumerate(changed, 2))

        async def job(conn: asyncpg.Connection) -> None:
            await conn.execute(
                f"UPDATE ultra_groups SET {assignments} WHERE id = $1",
                group_id,
                *changed.values(),
            )

        await self._change(group_id, job)

    async def set_voices(self, group_id: str, kind: str, user_ids: list[str], on: bool) -> None:
        """Add `user_ids` to (or with `on` False, remove them from) the muted
        (`kind` "muted") or the speakers ("speaker")."""
        sql = (
            "INSERT INTO ultra_voices(group_id, user_id, kind) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING"
            if on
            else "DELETE FROM ultra_voices WHERE group_id = $1 AND user_id = $2 AND kind = $3"
        )

        async def job(conn: asyncpg.Connection) -> None:
            await conn.executemany(sql, [(group_id, user, kind) for user in user_ids])

        await self._change(group_id, job)

    # ------------------------------------------------------------------ channels

    async def add_channel(
        self, group_id: str, channel: str, name: str, now_ms: int, *, max_channels: int
    ) -> None:
        """Make a channel. UltraRefused: it exists (33003), too many (24413)."""

        async def job(conn: asyncpg.Connection) -> None:
            rows = await conn.fetch(
                "SELECT channel FROM ultra_channels WHERE group_id = $1 AND channel <> ''",
                group_id,
            )
            refuse_channel(any(r[0] == channel for r in rows), len(rows), max_channels)
            await add_channel(conn, group_id, channel, name, now_ms)

        await self._change(group_id, job)

    async def rename_channel(self, group_id: str, channel: str, name: str) -> None:
        """Rename a channel (it exists: checked by the caller)."""

        async def job(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "UPDATE ultra_channels SET name = $1 WHERE group_id = $2 AND channel = $3",
                name,
                group_id,
                channel,
            )

        await self._change(group_id, job)

    async def delete_channel(self, group_id: str, channel: Channel) -> None:
        """Delete a channel and its messages (and every member's view of it)."""

        async def job(conn: asyncpg.Connection) -> None:
            await drop_conversation(conn, channel.conv_key)
            for table in ("ultra_channels", "ultra_member_channels"):
                await conn.execute(
                    f"DELETE FROM {table} WHERE group_id = $1 AND channel = $2",
                    group_id,
                    channel.channel,
                )

        await self._change(group_id, job)

    async def floor_before(self, group_id: str, channels: list[Channel], before: int) -> int:
        """Delete, for everyone, the messages sent before `before` in `channels`; their
        `floor_at` moves forward. Returns how many messages went."""

        async def job(conn: asyncpg.Connection) -> int:
            removed = 0
            for channel in channels:
                await conn.execute(
                    "UPDATE ultra_channels SET floor_at = GREATEST(floor_at, $1)"
                    " WHERE group_id = $2 AND channel = $3",
                    before,
                    group_id,
                    channel.channel,
                )
                removed += await delete_before(conn, channel.conv_key, before)
            return removed

        return await self._change(group_id, job)

    # ------------------------------------------------------------------ members

    async def member(self, group_id: str, user_id: str) -> MemberRow | None:
        """`user_id`'s row in the group (None: not a member)."""
        row = await self._pool.fetchrow(
            "SELECT joined_at, level, dnd, cleared_at, join_seqs FROM ultra_members"
            " WHERE group_id = $1 AND user_id = $2",
            group_id,
            user_id,
        )
        return None if row is None else member_row(row)

    async def member_channels(self, group_id: str, user_id: str) -> dict[str, MemberChannel]:
        """`user_id`'s own view of each channel they read or set (by channel id)."""
        rows = await self._pool.fetch(
            "SELECT channel, read_seq, level, dnd, cleared_at FROM ultra_member_channels"
            " WHERE group_id = $1 AND user_id = $2",
            group_id,
            user_id,
        )
        return {str(r[0]): MemberChannel(int(r[1]), str(r[2]), bool(r[3]), int(r[4])) for r in rows}

    async def groups_of(self, user_id: str) -> list[str]:
        """The ultra groups `user_id` is in."""
        rows = await self._pool.fetch(
            "SELECT group_id FROM ultra_members WHERE user_id = $1 ORDER BY group_id", user_id
        )
        return [str(r[0]) for r in rows]

    async def push_settings(
        self, group_id: str, channel: str, after: str, limit: int
    ) -> list[tuple[str, str, bool, str, bool]]:
        """A page of members after `after` (by id) with their levels and DND for the
        group and for `channel`: (user, group level, group dnd, channel level, channel
        dnd), for deciding offline pushes."""
        rows = await self._pool.fetch(
            "SELECT m.user_id, m.level, m.dnd, COALESCE(c.level, 'default'),"
            " COALESCE(c.dnd, false) FROM ultra_members m LEFT JOIN ultra_member_channels c"
            " ON c.group_id = m.group_id AND c.user_id = m.user_id AND c.channel = $1"
            " WHERE m.group_id = $2 AND m.user_id > $3 ORDER BY m.user_id LIMIT $4",
            channel,
            group_id,
            after,
            limit,
        )
        return [(str(r[0]), str(r[1]), bool(r[2]), str(r[3]), bool(r[4])) for r in rows]

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
        table, where, keys = "ultra_members", "group_id = $2 AND user_id = $3", [group_id, user_id]
        if channel is not None:
            table, where = "ultra_member_channels", f"{where} AND channel = $4"
            keys.append(channel)
        changes = member_changes(
            channel, level=level, dnd=dnd, cleared_at=cleared_at, read_seq=read_seq
        )

        async def job(conn: asyncpg.Connection) -> bool:
            if channel is not None:
                await conn.execute(
                    "INSERT INTO ultra_member_channels(group_id, user_id, channel)"
                    " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    *keys,
                )
            done = 0
            for column, comparison, value in changes:
                update = (
                    f"UPDATE {table} SET {column} = $1 WHERE {where} AND {column} {comparison} $1"
                )
                done += affected(await conn.execute(update, value, *keys))
            return done > 0

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
        unread and mention counts included: per channel, where the view starts and one
        range of the counted rows after the read position."""
        mine = await self.member_channels(group.group_id, user_id)
        wanted = [c for c in group.channels.values() if channels is None or c.channel in channels]
        states: list[UltraChannelState] = []
        async with self._pool.acquire() as conn:
            for channel in wanted:
                own = mine.get(channel.channel, _NOTHING)
                view = await channel_view(conn, group, channel, member, own, retention_from)
                level = level_of(group, member, own)
                counts = (0, 0)
                if view.conv_id:
                    q = count_query(user_id, level, own.read_seq, view.first_seq)
                    row = await conn.fetchrow(
                        _COUNT, q.me, q.by_name, q.by_all, view.conv_id, q.after, q.user_id
                    )
                    counts = (int(row[0]), int(row[1]))
                states.append(state_of(channel, member, own, view, level, counts))
        return states

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
        async with self._pool.acquire() as conn:
            return await channel_view(conn, group, channel, member, mine, retention_from)

    async def message(self, conv_key: str, uid: str) -> tuple[int, str, str] | None:
        """The seq, sender and type of message `uid` in a channel (None: not there)."""
        row = await self._pool.fetchrow(
            "SELECT m.seq, m.sender, m.object_name FROM messages m"
            " JOIN conversations c ON c.id = m.conv_id WHERE c.key = $1 AND m.uid = $2",
            conv_key,
            uid,
        )
        return (int(row[0]), str(row[1]), str(row[2])) if row else None

    async def max_seq(self, channel: Channel) -> int:
        """The newest seq of a channel (0: nothing sent yet)."""
        found = await self._pool.fetchval(
            "SELECT max_seq FROM conversations WHERE key = $1", channel.conv_key
        )
        return int(found) if found is not None else 0

    async def edits(self, conv_id: int, low: int, high: int) -> dict[int, tuple[int, int]]:
        """The edited messages with seqs in [low, high]: seq -> (edited_at, edit_seq)."""
        rows = await self._pool.fetch(
            "SELECT seq, edited_at, edit_seq FROM ultra_edits"
            " WHERE conv_id = $1 AND seq BETWEEN $2 AND $3",
            conv_id,
            low,
            high,
        )
        return {int(r[0]): (int(r[1]), int(r[2])) for r in rows}

    async def prune(self, older_than_ms: int) -> int:
        """Delete every channel's messages older than `older_than_ms` (their cloud
        history retention); return how many went."""

        async def job(conn: asyncpg.Connection) -> int:
            keys = [str(r[0]) for r in await conn.fetch("SELECT conv_key FROM ultra_channels")]
            return sum([await delete_before(conn, key, older_than_ms) for key in keys])

        removed: int = await self._writer.submit(job)
        return removed
