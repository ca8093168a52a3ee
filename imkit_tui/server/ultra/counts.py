"""A member's view of ultra channels, by read diffusion: each channel's newest seq, the
member's read position and first visible seq, and their unread and mention counts.

Runs on the store's reader thread. Each channel costs a handful of index lookups to
find where the member's view starts (floors.first_since: log n at worst) and one range
of the counted-messages index after their read position: O(unread), never O(history)
or O(members). The parts that read no store (where a view starts, what a count asks
for, the state built from them) are shared with the PostgreSQL store (pg/ultra.py).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from imkit_tui.protocol import NotificationLevel, UltraChannelState
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


@dataclass(frozen=True, slots=True)
class CountQuery:
    """What one channel's unread and mention counts ask for: the counted rows after
    `after` not sent by `user_id`; a mention of `me` (',user,') counts when `by_name`,
    an @all when `by_all`."""

    me: str
    by_name: bool
    by_all: bool
    after: int
    user_id: str


def view_start(
    group: UltraGroup, channel: Channel, member: MemberRow, mine: MemberChannel, retention: int
) -> ViewStart:
    """What bounds `member`'s view of `channel` (`retention`: the oldest time kept)."""
    return ViewStart(
        join_seq=member.join_seqs.get(channel.conv_key, 0),
        pre_join_history=group.pre_join_history,
        floor_at=channel.floor_at,
        cleared_group=member.cleared_at,
        cleared_channel=mine.cleared_at,
        retention_from=retention,
    )


def level_of(group: UltraGroup, member: MemberRow, mine: MemberChannel) -> NotificationLevel:
    """The notification level in force for the member in one channel."""
    return effective_level(mine.level, member.level, group.default_level)


def count_query(user_id: str, level: str, read_seq: int, first_seq: int) -> CountQuery:
    """The count of `user_id`'s unread and mentions at `level`, from their read position
    (or just before the first seq they may see)."""
    return CountQuery(
        me=f",{user_id},",
        by_name=counts_as_mention(level, Mention(me=True)),
        by_all=counts_as_mention(level, Mention(everyone=True)),
        after=count_after(read_seq, first_seq),
        user_id=user_id,
    )


def state_of(
    channel: Channel,
    member: MemberRow,
    mine: MemberChannel,
    view: ChannelView,
    level: NotificationLevel,
    counts: tuple[int, int],
) -> UltraChannelState:
    """The member's state of one channel from its view and (unread, mentions)."""
    return UltraChannelState(
        channel=channel.channel,
        name=channel.name,
        max_seq=view.max_seq,
        last_at=view.last_at,
        read_seq=mine.read_seq,
        unread=int(counts[0]),
        mentions=int(counts[1]),
        level=mine.level,  # type: ignore[arg-type]
        effective_level=level,
        dnd=mine.dnd,
        first_seq=view.first_seq,
        floor_at=channel.floor_at,
        cleared_at=max(member.cleared_at, mine.cleared_at),
    )


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
    start = view_start(group, channel, member, mine, retention_from)
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
    level = level_of(group, member, mine)
    counts = (0, 0)
    if view.conv_id:
        q = count_query(user_id, level, mine.read_seq, view.first_seq)
        row = conn.execute(
            _COUNT, (q.me, int(q.by_name), int(q.by_all), view.conv_id, q.after, q.user_id)
        ).fetchone()
        counts = (int(row[0]), int(row[1]))
    return state_of(channel, member, mine, view, level, counts)
