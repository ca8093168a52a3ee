"""The ultra group store's statements on the database thread (jobs of the writer, reads
of the reader): loading a group, adding members and channels, dropping a channel's
conversation, deleting messages before a time."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from imkit_tui.protocol import ErrorCode
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.server.file_refs import drop_refs
from imkit_tui.server.group_store import Voices
from imkit_tui.server.ultra.records import (
    ULTRA_TYPE,
    Channel,
    MemberRow,
    UltraGroup,
    UltraRefused,
    channel_key,
)

MUTED = "muted"
SPEAKER = "speaker"


def load_group(conn: sqlite3.Connection, group_id: str) -> UltraGroup | None:
    """The group as stored (None: there is none)."""
    row = conn.execute(
        "SELECT name, owner, created_at, default_level, pre_join_history, all_muted,"
        " member_count FROM ultra_groups WHERE id = ?",
        (group_id,),
    ).fetchone()
    if row is None:
        return None
    voices = conn.execute(
        "SELECT user_id, kind FROM ultra_voices WHERE group_id = ?", (group_id,)
    ).fetchall()
    channels = conn.execute(
        "SELECT channel, name, conv_key, created_at, floor_at FROM ultra_channels"
        " WHERE group_id = ? ORDER BY created_at, channel",
        (group_id,),
    ).fetchall()
    return group_from_rows(group_id, row, voices, channels)


def group_from_rows(
    group_id: str,
    row: Sequence[Any],
    voice_rows: Iterable[Sequence[Any]],
    channel_rows: Iterable[Sequence[Any]],
) -> UltraGroup:
    """The group from its ultra_groups row (name, owner, created_at, default_level,
    pre_join_history, all_muted, member_count), its voices (user_id, kind) and its
    channels (channel, name, conv_key, created_at, floor_at) in order."""
    voices: dict[str, set[str]] = {MUTED: set(), SPEAKER: set()}
    for user, kind in voice_rows:
        voices.setdefault(kind, set()).add(user)
    channels = {
        r[0]: Channel(channel=r[0], name=r[1], conv_key=r[2], created_at=r[3], floor_at=r[4])
        for r in channel_rows
    }
    return UltraGroup(
        group_id=group_id,
        name=row[0],
        owner=row[1],
        created_at=row[2],
        default_level=row[3],
        pre_join_history=bool(row[4]),
        member_count=int(row[6]),
        voices=Voices(
            owner=row[1],
            all_muted=bool(row[5]),
            muted=frozenset(voices[MUTED]),
            speakers=frozenset(voices[SPEAKER]),
        ),
        channels=channels,
    )


def member_row(row: Sequence[Any]) -> MemberRow:
    """A member's row as either store reads it (joined_at, level, dnd, cleared_at,
    join_seqs: a JSON array)."""
    return MemberRow(
        joined_at=int(row[0]),
        level=str(row[1]),
        dnd=bool(row[2]),
        cleared_at=int(row[3]),
        join_seqs=json.loads(row[4]),
    )


def is_member(conn: sqlite3.Connection, group_id: str, user_id: str) -> bool:
    """Whether `user_id` is in `group_id`."""
    return (
        conn.execute(
            "SELECT 1 FROM ultra_members WHERE group_id = ? AND user_id = ?", (group_id, user_id)
        ).fetchone()
        is not None
    )


def check_cap(conn: sqlite3.Connection, user_id: str, max_joined: int) -> None:
    """Refuse (24412) a user already in `max_joined` ultra groups."""
    joined = conn.execute(
        "SELECT COUNT(*) FROM ultra_members WHERE user_id = ?", (user_id,)
    ).fetchone()[0]
    refuse_over_cap(joined, max_joined)


def refuse_over_cap(joined: int, max_joined: int) -> None:
    """Refuse (24412) one more ultra group to a user already in `joined` of them."""
    if joined >= max_joined:
        raise UltraRefused(
            ErrorCode.ULTRA_GROUP_JOIN_LIMIT, f"a user may be in at most {max_joined} ultra groups"
        )


def refuse_channel(exists: bool, channels: int, max_channels: int) -> None:
    """Refuse a new channel that `exists` already (33003), or one past `max_channels`
    in a group that has `channels` (24413)."""
    if exists:
        raise UltraRefused(ErrorCode.INVALID_PARAMETER, "that channel exists already")
    if channels >= max_channels:
        raise UltraRefused(
            ErrorCode.ULTRA_CHANNEL_LIMIT, f"at most {max_channels} channels a group"
        )


def add_member(conn: sqlite3.Connection, group_id: str, user_id: str, now_ms: int) -> None:
    """Add a member, noting each channel's max seq now: they read what comes after."""
    join_seqs = {
        key: seq
        for key, seq in conn.execute(
            "SELECT u.conv_key, c.max_seq FROM ultra_channels u"
            " JOIN conversations c ON c.key = u.conv_key WHERE u.group_id = ?",
            (group_id,),
        )
    }
    conn.execute(
        "INSERT INTO ultra_members(group_id, user_id, joined_at, join_seqs) VALUES (?, ?, ?, ?)",
        (group_id, user_id, now_ms, json.dumps(join_seqs)),
    )
    conn.execute(
        "UPDATE ultra_groups SET member_count = member_count + 1 WHERE id = ?", (group_id,)
    )


def add_channel(
    conn: sqlite3.Connection, group_id: str, channel: str, name: str, now_ms: int
) -> None:
    """Add a channel with the conversation (no members rows) that holds its messages."""
    key = channel_key(group_id, channel, new_uuid7(now_ms))
    conn.execute("INSERT INTO conversations(type, key) VALUES (?, ?)", (ULTRA_TYPE, key))
    conn.execute(
        "INSERT INTO ultra_channels(group_id, channel, name, conv_key, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (group_id, channel, name, key, now_ms),
    )


def conversation_id(conn: sqlite3.Connection, key: str) -> int | None:
    """The id of the conversation `key` (None: there is none)."""
    row = conn.execute("SELECT id FROM conversations WHERE key = ?", (key,)).fetchone()
    return int(row[0]) if row else None


def drop_conversation(conn: sqlite3.Connection, key: str) -> None:
    """Delete a channel's conversation: its messages, counted rows, edits, file refs."""
    conv_id = conversation_id(conn, key)
    if conv_id is None:
        return
    for table in ("messages", "ultra_counted", "ultra_edits", "file_refs"):
        conn.execute(f"DELETE FROM {table} WHERE conv_id = ?", (conv_id,))
    conn.execute("DELETE FROM conversations WHERE id = ?", (conv_id,))


def delete_before(conn: sqlite3.Connection, key: str, before: int) -> int:
    """Delete a channel's messages sent before `before` (along messages_time)."""
    conv_id = conversation_id(conn, key)
    if conv_id is None:
        return 0
    old = conn.execute(
        "SELECT seq FROM messages WHERE conv_id = ? AND sent_at < ?", (conv_id, before)
    ).fetchall()
    for (seq,) in old:
        drop_refs(conn, conv_id, seq)
    conn.executemany(
        "DELETE FROM messages WHERE conv_id = ? AND seq = ?", [(conv_id, s) for (s,) in old]
    )
    conn.executemany(
        "DELETE FROM ultra_counted WHERE conv_id = ? AND seq = ?", [(conv_id, s) for (s,) in old]
    )
    conn.executemany(
        "DELETE FROM ultra_edits WHERE conv_id = ? AND seq = ?", [(conv_id, s) for (s,) in old]
    )
    return len(old)
