"""The PostgreSQL ultra group store's statements inside a writer job or on one read
connection (as ultra/store_rows.py for SQLite): loading a group, adding members and
channels, dropping a channel's conversation, deleting messages before a time, and
where a member's view of a channel starts."""

from __future__ import annotations

import json

import asyncpg

from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.server.ultra.counts import ChannelView, view_start
from imkit_tui.server.ultra.records import (
    ULTRA_TYPE,
    Channel,
    MemberChannel,
    MemberRow,
    UltraGroup,
    channel_key,
)
from imkit_tui.server.ultra.store_rows import group_from_rows, refuse_over_cap

_MESSAGE_TABLES = ("ultra_counted", "ultra_edits", "file_refs")
"""What a channel's message keeps beside it, by (conv_id, seq)."""


async def load_group(conn: asyncpg.Connection, group_id: str) -> tuple[int, UltraGroup] | None:
    """The group as stored, with its version (None: there is none); read in one
    snapshot (the caller's transaction)."""
    row = await conn.fetchrow(
        "SELECT name, owner, created_at, default_level, pre_join_history, all_muted,"
        " member_count, version FROM ultra_groups WHERE id = $1",
        group_id,
    )
    if row is None:
        return None
    voices = await conn.fetch(
        "SELECT user_id, kind FROM ultra_voices WHERE group_id = $1", group_id
    )
    channels = await conn.fetch(
        "SELECT channel, name, conv_key, created_at, floor_at FROM ultra_channels"
        " WHERE group_id = $1 ORDER BY created_at, channel",
        group_id,
    )
    return int(row[7]), group_from_rows(group_id, row, voices, channels)


async def group_exists(conn: asyncpg.Connection, group_id: str) -> bool:
    """Whether the group is there (inside a writer job: the batches of every node run
    one after another, pg/writer.py)."""
    found = await conn.fetchval("SELECT 1 FROM ultra_groups WHERE id = $1", group_id)
    return found is not None


async def check_cap(conn: asyncpg.Connection, user_id: str, max_joined: int) -> None:
    """Refuse (24412) a user already in `max_joined` ultra groups."""
    joined = await conn.fetchval("SELECT COUNT(*) FROM ultra_members WHERE user_id = $1", user_id)
    refuse_over_cap(int(joined), max_joined)


async def add_member(conn: asyncpg.Connection, group_id: str, user_id: str, now_ms: int) -> bool:
    """Add a member, noting each channel's max seq now: they read what comes after.
    False: a member already."""
    join_seqs = {
        str(key): int(seq)
        for key, seq in await conn.fetch(
            "SELECT u.conv_key, c.max_seq FROM ultra_channels u"
            " JOIN conversations c ON c.key = u.conv_key WHERE u.group_id = $1",
            group_id,
        )
    }
    added = await conn.fetchval(
        "INSERT INTO ultra_members(group_id, user_id, joined_at, join_seqs)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true",
        group_id,
        user_id,
        now_ms,
        json.dumps(join_seqs),
    )
    if added is None:
        return False
    await conn.execute(
        "UPDATE ultra_groups SET member_count = member_count + 1 WHERE id = $1", group_id
    )
    return True


async def add_channel(
    conn: asyncpg.Connection, group_id: str, channel: str, name: str, now_ms: int
) -> None:
    """Add a channel with the conversation (no members rows) that holds its messages."""
    key = channel_key(group_id, channel, new_uuid7(now_ms))
    await conn.execute("INSERT INTO conversations(type, key) VALUES ($1, $2)", ULTRA_TYPE, key)
    await conn.execute(
        "INSERT INTO ultra_channels(group_id, channel, name, conv_key, created_at)"
        " VALUES ($1, $2, $3, $4, $5)",
        group_id,
        channel,
        name,
        key,
        now_ms,
    )


async def drop_conversation(conn: asyncpg.Connection, key: str) -> None:
    """Delete a channel's conversation: its messages, counted rows, edits, file refs."""
    conv_id = await conn.fetchval("SELECT id FROM conversations WHERE key = $1", key)
    if conv_id is None:
        return
    for table in (*_MESSAGE_TABLES, "messages"):
        await conn.execute(f"DELETE FROM {table} WHERE conv_id = $1", conv_id)
    await conn.execute("DELETE FROM conversations WHERE id = $1", conv_id)


async def delete_before(conn: asyncpg.Connection, key: str, before: int) -> int:
    """Delete a channel's messages sent before `before` (along messages_time)."""
    conv_id = await conn.fetchval("SELECT id FROM conversations WHERE key = $1", key)
    if conv_id is None:
        return 0
    rows = await conn.fetch(
        "DELETE FROM messages WHERE conv_id = $1 AND sent_at < $2 RETURNING seq", conv_id, before
    )
    seqs = [int(r[0]) for r in rows]
    if seqs:
        for table in _MESSAGE_TABLES:
            await conn.execute(
                f"DELETE FROM {table} WHERE conv_id = $1 AND seq = ANY($2::bigint[])",
                conv_id,
                seqs,
            )
    return len(seqs)


async def channel_view(
    conn: asyncpg.Connection,
    group: UltraGroup,
    channel: Channel,
    member: MemberRow,
    mine: MemberChannel,
    retention_from: int,
) -> ChannelView:
    """The channel's conversation and the first seq `member` may read in it: the first
    message sent at the view's start or later, along messages_time (one lookup)."""
    row = await conn.fetchrow(
        "SELECT id, max_seq, last_at FROM conversations WHERE key = $1", channel.conv_key
    )
    if row is None:
        return ChannelView(0, 0, 0, 1)
    conv_id, max_seq, last_at = int(row[0]), int(row[1]), int(row[2])
    start = view_start(group, channel, member, mine, retention_from)
    by_time = await conn.fetchval(
        "SELECT seq FROM messages WHERE conv_id = $1 AND sent_at >= $2"
        " ORDER BY sent_at, seq LIMIT 1",
        conv_id,
        start.not_before,
    )
    first = int(by_time) if by_time is not None else max_seq + 1
    return ChannelView(conv_id, max_seq, last_at, start.first_seq(first))
