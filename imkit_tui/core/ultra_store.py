"""What this device knows of its ultra groups: their channels, the user's settings and
each channel's counts (`store.ultra`).

A channel is a conversation row like any other (type 10, the group, the channel id;
``""`` the default channel): its messages, seqs, read position, unread and mention
counts. The group's own settings live in `ultra_groups`, its channels' names and levels
in `ultra_channels`, and the conversation list shows the group as one row (channel
:data:`~imkit_tui.core.ultra_rows.ULTRA_ROW`), which triggers keep from its channels'
rows (migration 15).
The server's read-diffusion counts (UltraSync, UltraUpdate) are written to the channel
rows as they come: they cover messages this device never pulled.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from imkit_tui.core.edit_store import edit_own
from imkit_tui.core.models import Message
from imkit_tui.core.sql import select_messages
from imkit_tui.core.ultra_rows import (
    ULTRA_ROW,
    UltraChannelRow,
    UltraGroupRow,
    channel_ref,
    counts_as_mention,
    ultra_row,
)
from imkit_tui.protocol import ConvRef, UltraInfo, UltraState

if TYPE_CHECKING:
    from imkit_tui.core.store_parts import StoreParts

_GROUP_COLUMNS = (
    "id, name, owner, level, default_level, dnd, pre_join_history, member_count, last_channel"
)


class UltraTable:
    """`store.ultra`: ultra groups, their channels and the user's settings."""

    def __init__(self, parts: StoreParts) -> None:
        self._writer = parts.writer
        self._reader = parts.reader
        self._conversation_id = parts.conversation_id

    # ------------------------------------------------------------------ reading

    async def group(self, group_id: str) -> UltraGroupRow | None:
        """One ultra group, if this device knows it."""
        row = await self._reader.fetch_one(
            f"SELECT {_GROUP_COLUMNS} FROM ultra_groups WHERE id = ?", (group_id,)
        )
        return _group_row(row) if row else None

    async def groups(self) -> list[UltraGroupRow]:
        """Every ultra group this device knows, by id."""
        rows = await self._reader.fetch_all(
            f"SELECT {_GROUP_COLUMNS} FROM ultra_groups ORDER BY id"
        )
        return [_group_row(row) for row in rows]

    async def channels(self, group_id: str) -> list[UltraChannelRow]:
        """The channels of a group, the default one first, then by name: one query over
        the group's channel rows (at most the channel limit), never its history."""
        rows = await self._reader.fetch_all(
            "SELECT ch.channel, ch.name, COALESCE(c.unread, 0), COALESCE(c.mentions, 0),"
            " COALESCE(c.muted, 0), ch.level, ch.effective_level FROM ultra_channels ch"
            " LEFT JOIN conversations c ON c.type = 10 AND c.target = ch.group_id"
            " AND c.channel = ch.channel WHERE ch.group_id = ?"
            " ORDER BY ch.channel != '', ch.name, ch.channel",
            (group_id,),
        )
        return [
            UltraChannelRow(group_id, r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6]) for r in rows
        ]

    # ------------------------------------------------------------------ writing

    async def save_info(self, info: UltraInfo, now_ms: int) -> list[ConvRef]:
        """Keep a group as the server described it (its channels by name); a group gone
        or left is forgotten. Returns the channels that went (their messages with them)."""

        def job(conn: sqlite3.Connection) -> list[ConvRef]:
            if info.dismissed or not info.member:
                self._conversation_id.clear()  # rows go: their cached ids with them
                return _drop(conn, info.group)
            conn.execute(
                "INSERT INTO ultra_groups(id, name, owner, default_level, pre_join_history,"
                " member_count) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
                " name = excluded.name, owner = excluded.owner,"
                " default_level = excluded.default_level,"
                " pre_join_history = excluded.pre_join_history,"
                " member_count = excluded.member_count",
                (
                    info.group,
                    info.name,
                    info.owner,
                    info.default_level,
                    info.pre_join_history,
                    info.member_count,
                ),
            )
            listed = {c.channel: c.name for c in info.channels} or {"": ""}
            listed.setdefault("", "")
            for channel, name in listed.items():
                _save_channel(conn, info.group, channel, name=name)
            gone = [
                str(row[0])
                for row in conn.execute(
                    "SELECT channel FROM ultra_channels WHERE group_id = ?", (info.group,)
                ).fetchall()
                if row[0] not in listed
            ]
            for channel in gone:
                _drop_channel(conn, info.group, channel)
            self._conversation_id.clear()  # rows went: their cached ids with them
            # A group just joined shows in the list before its first message.
            default = self._conversation_id(conn, channel_ref(info.group, ""))
            conn.execute(
                "UPDATE conversations SET last_at = ?, sort_at = MAX(sort_at, ?)"
                " WHERE id = ? AND last_at = 0",
                (now_ms, now_ms, default),
            )
            return [channel_ref(info.group, channel) for channel in gone]

        return await self._writer.submit(job)

    async def apply_states(
        self,
        states: Sequence[UltraState],
        *,
        every_group: bool = False,
        answers_read: ConvRef | None = None,
    ) -> list[ConvRef]:
        """Merge the server's view of groups: the user's settings, each channel's read
        position and counts (read diffusion). With `every_group` (an UltraSync of all
        of them) the groups not named are forgotten; `answers_read` names a channel whose
        pending read position this answer confirms. Returns the groups forgotten (their
        list rows)."""

        def job(conn: sqlite3.Connection) -> list[ConvRef]:
            for state in states:
                self._merge(conn, state, answers_read)
            if not every_group:
                return []
            named = {state.group for state in states}
            gone = [
                str(row[0])
                for row in conn.execute("SELECT id FROM ultra_groups").fetchall()
                if row[0] not in named
            ]
            for group_id in gone:
                _drop(conn, group_id)
            self._conversation_id.clear()  # rows went: their cached ids with them
            return [ultra_row(group_id) for group_id in gone]

        return await self._writer.submit(job)

    def _merge(self, conn: sqlite3.Connection, state: UltraState, answers: ConvRef | None) -> None:
        """One group's state, inside a writer job."""
        conn.execute(
            "INSERT INTO ultra_groups(id, name, owner, level, default_level, dnd)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
            " name = CASE WHEN excluded.name != '' THEN excluded.name ELSE name END,"
            " owner = CASE WHEN excluded.owner != '' THEN excluded.owner ELSE owner END,"
            " level = excluded.level, default_level = excluded.default_level,"
            " dnd = excluded.dnd",
            (state.group, state.name, state.owner, state.level, state.default_level, state.dnd),
        )
        row = self._conversation_id(conn, ultra_row(state.group))
        conn.execute("UPDATE conversations SET muted = ? WHERE id = ?", (state.dnd, row))
        for channel in state.channels:
            _save_channel(
                conn,
                state.group,
                channel.channel,
                name=channel.name or None,
                level=channel.level,
                effective=channel.effective_level,
            )
            conv = channel_ref(state.group, channel.channel)
            conv_id = self._conversation_id(conn, conv)
            answered = answers == conv
            conn.execute(
                "UPDATE conversations SET max_seq = MAX(max_seq, ?),"
                " read_pending = CASE WHEN ? AND ? >= read_seq THEN 0 ELSE read_pending END,"
                " read_seq = MAX(read_seq, ?), muted = ?,"
                " last_at = CASE WHEN last_at = 0 THEN ? ELSE last_at END"
                " WHERE id = ?",
                (
                    channel.max_seq,
                    answered,
                    channel.read_seq,
                    channel.read_seq,
                    channel.dnd,
                    channel.last_at,
                    conv_id,
                ),
            )
            # The server's counts, unless a read here is not confirmed yet (then the
            # local count, from the local read position, is the newer one).
            conn.execute(
                "UPDATE conversations SET unread = ?, mentions = ?"
                " WHERE id = ? AND read_pending = 0 AND read_seq <= ?",
                (channel.unread, channel.mentions, conv_id, channel.read_seq),
            )

    async def set_last_channel(self, group_id: str, channel: str) -> None:
        """The channel the app opens next time the group is opened."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE ultra_groups SET last_channel = ? WHERE id = ?", (channel, group_id)
            )

        await self._writer.submit(job)

    async def pin(self, group_id: str, pinned: bool) -> None:
        """Pin the group's list row on this device (the server keeps no pin of it)."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE conversations SET pinned = ? WHERE id = ?",
                (pinned, self._conversation_id(conn, ultra_row(group_id))),
            )

        await self._writer.submit(job)

    async def edited(
        self, message: Message, content: dict[str, Any], edit_seq: int, edited_at: int
    ) -> Message | None:
        """An own message shows the edit the server acknowledged (unless a newer one is
        shown already); the message as it now is."""

        def job(conn: sqlite3.Connection) -> Message | None:
            edit_own(conn, message.id, content, edit_seq, edited_at)
            found = select_messages(conn, "WHERE m.id = ?", (message.id,))
            return found[0] if found else None

        return await self._writer.submit(job)

    async def seqs_before(
        self, group_id: str, channel: str | None, before: int
    ) -> list[tuple[ConvRef, int]]:
        """Per channel (one, or each of the group with None), the highest seq held here
        that was sent before `before` (ms): what deleting by time drops (the channel's
        max_seq made to cover it, for `store.history.clear`). The server
        numbers a channel's messages in the order it stores them, so they are in time
        order too."""

        def read(conn: sqlite3.Connection) -> list[tuple[ConvRef, int]]:
            where = "c.type = 10 AND c.target = ? AND c.channel != ?"
            params: list[object] = [group_id, ULTRA_ROW]
            if channel is not None:
                where += " AND c.channel = ?"
                params.append(channel)
            rows = conn.execute(
                "SELECT c.id, c.channel, (SELECT MAX(m.seq) FROM messages m WHERE"
                " m.conv_id = c.id AND m.seq IS NOT NULL AND m.sent_at < ?)"
                f" FROM conversations c WHERE {where}",
                (before, *params),
            ).fetchall()
            for conv_id, _, seq in rows:
                # Own messages move max_seq only with the next one received: it must
                # cover what is held, or clearing up to it would stop short.
                if seq:
                    conn.execute(
                        "UPDATE conversations SET max_seq = MAX(max_seq, ?) WHERE id = ?",
                        (seq, conv_id),
                    )
            return [(channel_ref(group_id, str(r[1])), int(r[2])) for r in rows if r[2]]

        return await self._writer.submit(read)


def _group_row(row: Any) -> UltraGroupRow:
    return UltraGroupRow(
        row[0], row[1], row[2], row[3], row[4], bool(row[5]), bool(row[6]), row[7], row[8]
    )


def _save_channel(
    conn: sqlite3.Connection,
    group_id: str,
    channel: str,
    *,
    name: str | None = None,
    level: str | None = None,
    effective: str | None = None,
) -> None:
    """Insert or update one channel's row; fields left None stay."""
    conn.execute(
        "INSERT INTO ultra_channels(group_id, channel, name, level, effective_level)"
        " VALUES (?, ?, COALESCE(?, ''), COALESCE(?, 'default'), COALESCE(?, 'all'))"
        " ON CONFLICT(group_id, channel) DO UPDATE SET name = COALESCE(?, name),"
        " level = COALESCE(?, level), effective_level = COALESCE(?, effective_level)",
        (group_id, channel, name, level, effective, name, level, effective),
    )


def _drop_channel(conn: sqlite3.Connection, group_id: str, channel: str) -> None:
    """Forget a channel and its messages (it was deleted)."""
    row = conn.execute(
        "SELECT id FROM conversations WHERE type = 10 AND target = ? AND channel = ?",
        (group_id, channel),
    ).fetchone()
    if row is not None:
        conn.execute("DELETE FROM messages WHERE conv_id = ?", (row[0],))
        conn.execute("DELETE FROM conversations WHERE id = ?", (row[0],))
    conn.execute(
        "DELETE FROM ultra_channels WHERE group_id = ? AND channel = ?", (group_id, channel)
    )


def _drop(conn: sqlite3.Connection, group_id: str) -> list[ConvRef]:
    """Forget a group this user is no longer in (or that ended): its channels, their
    messages and its list row. Returns the channels that went."""
    channels = [
        str(row[0])
        for row in conn.execute(
            "SELECT channel FROM conversations WHERE type = 10 AND target = ? AND channel != ?",
            (group_id, ULTRA_ROW),
        ).fetchall()
    ]
    for channel in channels:
        _drop_channel(conn, group_id, channel)
    conn.execute("DELETE FROM ultra_channels WHERE group_id = ?", (group_id,))
    conn.execute(
        "DELETE FROM conversations WHERE type = 10 AND target = ? AND channel = ?",
        (group_id, ULTRA_ROW),
    )
    conn.execute("DELETE FROM ultra_groups WHERE id = ?", (group_id,))
    return [channel_ref(group_id, channel) for channel in channels]


def level_mentions(
    conn: sqlite3.Connection,
    conv: ConvRef,
    rows: list[tuple[Any, ...]],
    contents: Sequence[dict[str, Any]],
    user: str,
) -> list[tuple[Any, ...]]:
    """The rows of received records of an ultra channel (`mentioned` last), flagged as
    mentioning `user` only as the channel's level says (`counts_as_mention`): at
    ``mentions_me`` an @all is no mention, at ``none`` nothing is. One keyed read."""
    found = conn.execute(
        "SELECT effective_level FROM ultra_channels WHERE group_id = ? AND channel = ?",
        (conv.target, conv.channel),
    ).fetchone()
    level = str(found[0]) if found else "all"
    if level == "all":
        return rows
    return [
        (*row[:-1], int(bool(row[-1]) and counts_as_mention(level, content, user)))
        for row, content in zip(rows, contents, strict=True)
    ]
