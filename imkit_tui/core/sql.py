"""SQL shared by the local store's jobs and reads: plain functions of a connection."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import msgspec

from imkit_tui.core.models import Conversation, Direction, Message, SendStatus
from imkit_tui.protocol import ConvRef, MessageRecord

_decode_content = msgspec.json.Decoder(dict[str, Any]).decode

MESSAGE_COLUMNS = (
    "m.id, c.type, c.target, c.channel, m.seq, m.uid, m.cmid, m.sender, m.object_name,"
    " m.content, m.sent_at, m.direction, m.status, m.error, m.listened, m.mentioned,"
    " m.recipients, m.receipt, m.edited_at, m.place_seq"
)
OWN_CMID = "direction = 1"
"""The term that lets a lookup by (sender, cmid) use the index messages_cmid, which
holds this user's own messages only (Direction.SENT); written as a literal, since SQLite
matches a partial index's condition against the query's text, not its parameters."""
CONVERSATION_COLUMNS = (
    "type, target, channel, last_at, preview, last_sender, unread, pinned, muted, draft, max_seq,"
    " sort_at, read_seq, peer_read_seq, marked_unread, mentions,"
    " CASE conversations.type"
    " WHEN 3 THEN (SELECT g.name FROM groups g WHERE g.id = conversations.target)"
    " WHEN 10 THEN (SELECT u.name FROM ultra_groups u WHERE u.id = conversations.target)"
    " WHEN 7 THEN (SELECT p.name FROM public_accounts p WHERE p.type = 7"
    " AND p.id = conversations.target)"
    " WHEN 8 THEN (SELECT p.name FROM public_accounts p WHERE p.type = 8"
    " AND p.id = conversations.target) END,"
    " failed_id != 0"
)


def stored_conversation_id(conn: sqlite3.Connection, conv: ConvRef) -> tuple[int] | None:
    """The row `(id,)` of a stored conversation, None when it is not stored."""
    row: tuple[int] | None = conn.execute(
        "SELECT id FROM conversations WHERE type = ? AND target = ? AND channel = ?",
        (conv.type, conv.target, conv.channel),
    ).fetchone()
    return row


def confirm(conn: sqlite3.Connection, record: MessageRecord) -> list[int]:
    """Mark our own still-pending message as sent, from a record the server sent back."""
    rows = conn.execute(
        "UPDATE messages SET seq = ?, uid = ?, sent_at = ?, status = ?, error = NULL"
        f" WHERE sender = ? AND cmid = ? AND {OWN_CMID} AND seq IS NULL RETURNING id",
        (record.seq, record.uid, record.sent_at, SendStatus.SENT, record.sender, record.cmid),
    ).fetchall()
    return [int(row[0]) for row in rows]


def set_preview(
    conn: sqlite3.Connection, conv_id: int, at: int, preview: str, sender: str, seq: int | None
) -> None:
    """Show this message in the list row, unless the row already shows a newer one (a
    failed message it showed is no longer the one shown: its mark goes)."""
    conn.execute(
        "UPDATE conversations SET last_at = ?, preview = ?, last_sender = ?,"
        " last_seq = MAX(last_seq, ?), sort_at = MAX(?, draft_at), hidden = 0, failed_id = 0"
        " WHERE id = ? AND last_at <= ?",
        (at, preview, sender, seq or 0, at, conv_id, at),
    )


def clear_failed_mark(conn: sqlite3.Connection, message_id: int) -> None:
    """The list row no longer says its message failed, if that was `message_id` (sent
    again, or deleted): one keyed update, by the message's own conversation."""
    conn.execute(
        "UPDATE conversations SET failed_id = 0"
        " WHERE id = (SELECT conv_id FROM messages WHERE id = ?) AND failed_id = ?",
        (message_id, message_id),
    )


def count_new_unread(conn: sqlite3.Connection, conv_id: int, message_ids: list[int]) -> None:
    """Add the newly stored messages that count as unread (counted, above the read mark),
    and those of them that mention this user.

    Only the new rows are looked at, so a conversation with thousands unread costs no
    more per message than one with none.
    """
    marks = ",".join("?" * len(message_ids))
    conn.execute(
        "UPDATE conversations SET (unread, mentions) = (SELECT unread + COUNT(*),"
        " mentions + COALESCE(SUM(m.mentioned), 0) FROM messages m"
        f" WHERE m.id IN ({marks}) AND m.counted = 1 AND m.seq > conversations.read_seq)"
        " WHERE id = ?",
        (*message_ids, conv_id),
    )


def recount_unread(conn: sqlite3.Connection, conv_id: int) -> None:
    """Count the unread messages of a conversation, and the unread ones that mention
    this user, again from its read position."""
    # Counted from the read position and each message's counted flag, never
    # max_seq - read_seq: own and uncounted messages would break that. A message is
    # only ever flagged as mentioning this user while it is counted.
    conn.execute(
        "UPDATE conversations SET (unread, mentions) = (SELECT COUNT(*),"
        " COALESCE(SUM(m.mentioned), 0) FROM messages m"
        " WHERE m.conv_id = conversations.id AND m.seq > conversations.read_seq"
        " AND m.counted = 1) WHERE id = ?",
        (conv_id,),
    )


def select_messages(conn: sqlite3.Connection, where: str, params: tuple[Any, ...]) -> list[Message]:
    """Messages (joined with their conversation) matching `where`, in its order."""
    sql = (
        f"SELECT {MESSAGE_COLUMNS} FROM messages m JOIN conversations c ON c.id = m.conv_id {where}"
    )
    return [message_from_row(row) for row in conn.execute(sql, params).fetchall()]


def message_from_row(row: Any) -> Message:
    """A Message from a row of MESSAGE_COLUMNS."""
    return Message(
        id=row[0],
        conv=ConvRef(type=row[1], target=row[2], channel=row[3]),
        seq=row[4],
        uid=row[5],
        cmid=row[6],
        sender=row[7],
        object_name=row[8],
        content=_decode_content(row[9]),
        sent_at=row[10],
        direction=Direction(row[11]),
        status=SendStatus(row[12]),
        error=row[13],
        listened=bool(row[14]),
        mentioned=bool(row[15]),
        to=recipients_from(row[16]),
        receipt_asked=row[17] != 0,
        edited_at=row[18],
        place_seq=row[19],
    )


_decode_recipients = msgspec.json.Decoder(tuple[str, ...]).decode


def recipients_from(stored: str) -> tuple[str, ...]:
    """The members of a targeted message from its `recipients` column."""
    return _decode_recipients(stored) if stored else ()


def recipients_column(to: Sequence[str]) -> str:
    """The `recipients` column of a message sent to `to` (empty: everyone)."""
    return msgspec.json.encode(list(to)).decode() if to else ""


def conversation_from_row(row: Any) -> Conversation:
    """A Conversation from a row of CONVERSATION_COLUMNS."""
    return Conversation(
        ref=ConvRef(type=row[0], target=row[1], channel=row[2]),
        last_at=row[3],
        preview=row[4],
        last_sender=row[5],
        unread=row[6],
        pinned=bool(row[7]),
        muted=bool(row[8]),
        draft=row[9],
        max_seq=row[10],
        sort_at=row[11],
        read_seq=row[12],
        peer_read_seq=row[13],
        marked_unread=bool(row[14]),
        mentions=row[15],
        title=row[16] or "",
        failed=bool(row[17]),
    )
