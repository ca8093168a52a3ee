"""A member's view of ultra channels, by read diffusion: each channel's newest seq, the
member's read position and first visible seq, and their unread and mention counts.

Runs on the store's reader thread. Each channel costs a handful of index lookups to
find where the member's view starts (floors.first_since: log n at worst) and one range
of the counted-messages index after their read position: O(unread), never O(history)
or O(members).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from imkit_tui.protocol import UltraChannelState
from imkit_tui.server.floors import first_since
from imkit_tui.server.ultra.levels import Mention, counts_as_mention, effective_level
from imkit_tui.server.ultra.records import Channel, MemberChannel, MemberRow, UltraGroup
from imkit_tui.server.ultra.rules import ViewStart, count_after

_COUNT = (
    "SELECT COUNT(*), COALESCE(SUM(CASE WHEN instr(u.mentioned, ?) > 0 AND ? THEN 1"
    " WHEN u.mention_all AND ? THEN 1 ELSE 0 END), 0)"
    " FROM ultra_counted u JOIN messages m ON m.conv_id = u.conv_id AND m.seq = u.seq"
    " WHERE u.conv_id = ? AND u.seq > ? AND u.sender != ? AND m.object_name != 'RC:RcNtf'"
)


@dataclass(frozen=True, slots=True)
class ChannelView:
    """Where a member's view of a channel starts, and its conversation (id 0: none)."""

    conv_id: int
    max_seq: int
    last_at: int
    first_seq: int


def channel_view(
    conn: sqlite3.Connection,
    group: UltraGroup,
    channel: Channel,
    member: MemberRow,
    mine: MemberChannel,
    retention_from: int,
) -> ChannelView:
    """The channel's conversation and the first seq `member` may read in it."""
    row = conn.execute(
        "SELECT id, max_seq, last_at FROM conversations WHERE key = ?", (channel.conv_key,)
    ).fetchone()
    if row is None:
        return ChannelView(0, 0, 0, 1)
    conv_id, max_seq, last_at = int(row[0]), int(row[1]), int(row[2])
    start = ViewStart(
        join_seq=member.join_seqs.get(channel.conv_key, 0),
        pre_join_history=group.pre_join_history,
        floor_at=channel.floor_at,
        cleared_group=member.cleared_at,
        cleared_channel=mine.cleared_at,
        retention_from=retention_from,
    )
    by_time = first_since(conn, conv_id=conv_id, at=start.not_before)
    return ChannelView(
        conv_id, max_seq, last_at, start.first_seq(by_time if by_time is not None else max_seq + 1)
    )


def channel_state(
    conn: sqlite3.Connection,
    user_id: str,
    group: UltraGroup,
    channel: Channel,
    member: MemberRow,
    mine: MemberChannel,
    retention_from: int,
) -> UltraChannelState:
    """`user_id`'s state of one channel, counts included."""
    view = channel_view(conn, group, channel, member, mine, retention_from)
    level = effective_level(mine.level, member.level, group.default_level)
    unread = mentions = 0
    if view.conv_id:
        after = count_after(mine.read_seq, view.first_seq)
        unread, mentions = conn.execute(
            _COUNT,
            (
                f",{user_id},",
                int(counts_as_mention(level, Mention(me=True))),
                int(counts_as_mention(level, Mention(everyone=True))),
                view.conv_id,
                after,
                user_id,
            ),
        ).fetchone()
    return UltraChannelState(
        channel=channel.channel,
        name=channel.name,
        max_seq=view.max_seq,
        last_at=view.last_at,
        read_seq=mine.read_seq,
        unread=int(unread),
        mentions=int(mentions),
        level=mine.level,  # type: ignore[arg-type]
        effective_level=level,
        dnd=mine.dnd,
        first_seq=view.first_seq,
        floor_at=channel.floor_at,
        cleared_at=max(member.cleared_at, mine.cleared_at),
    )
