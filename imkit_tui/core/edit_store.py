"""The local store's side of edits (ultra groups): the newest edit's content wins.

An edit is an event of its own (`imkit:EditCmd`, stored, not shown, not counted) whose
content names the original (`messageUId`) and holds its new `content`. Storing the event
replaces the original's content when the event's seq is above the seq of the edit the
original shows (`edit_seq`, protocol `edit_applies`): events arriving late or twice
change nothing. A record pulled from history already holds its newest content, with
`edited_at` and `edit_seq`. Replacing the content makes the search index forget the old
text and index the new one (the triggers of migration 4).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import msgspec

from imkit_tui import messages as catalogue
from imkit_tui.protocol import MessageRecord, edit_applies, encode_content

_EDIT = (
    "UPDATE messages SET content = ?, edited_at = ?, edit_seq = ?"
    " WHERE conv_id = ? AND {where} AND edit_seq < ? AND object_name = ? AND sender = ?"
    " RETURNING id, seq"
)
"""Replaces a message's content by an edit's, unless it shows a newer edit already (or
was recalled or deleted meanwhile: then its type changed)."""


def edit_of(record: MessageRecord) -> tuple[str, dict[str, Any]] | None:
    """The original's server id and its new content, when `record` is a well-formed edit
    event; None otherwise."""
    if record.object_name != catalogue.EDIT:
        return None
    uid, content = record.content.get("messageUId"), record.content.get("content")
    if not isinstance(uid, str) or not isinstance(content, dict):
        return None
    return uid, content


def apply_edits(
    conn: sqlite3.Connection, conv_id: int, records: Sequence[MessageRecord]
) -> list[int]:
    """Give the originals of the edit events among `records` their new content, and keep
    the edit marks of records that arrive edited. Runs inside the writer job that stores
    the records; returns the ids of the messages it changed. An original not stored
    here needs nothing: the server holds its newest content for a later pull."""
    changed: list[int] = []
    for record in records:
        if record.edit_seq:
            changed += _replace(
                conn, conv_id, "seq = ?", record.seq, record.object_name, record, record.content
            )
            continue
        edit = edit_of(record)
        if edit is None:
            continue
        uid, content = edit
        row = conn.execute(
            "SELECT object_name, edit_seq FROM messages WHERE uid = ? AND conv_id = ?",
            (uid, conv_id),
        ).fetchone()
        if row is None or not edit_applies(int(row[1]), record.seq):
            continue
        changed += _replace(conn, conv_id, "uid = ?", uid, str(row[0]), record, content)
    if changed:
        refresh_preview(conn, conv_id)
    return changed


def _replace(
    conn: sqlite3.Connection,
    conv_id: int,
    where: str,
    key: object,
    object_name: str,
    record: MessageRecord,
    content: dict[str, Any],
) -> list[int]:
    """Replace one message's content by `record`'s edit (its own, or the one it carries)."""
    edit_seq = record.edit_seq or record.seq
    edited_at = record.edited_at or record.sent_at
    rows = conn.execute(
        _EDIT.format(where=where),
        (
            encode_content(content),
            edited_at,
            edit_seq,
            conv_id,
            key,
            edit_seq,
            object_name,
            record.sender,
        ),
    ).fetchall()
    return [int(row[0]) for row in rows]


def edit_own(
    conn: sqlite3.Connection,
    message_id: int,
    content: dict[str, Any],
    edit_seq: int,
    edited_at: int,
) -> bool:
    """Give an own message the content of the edit the server acknowledged; False when
    a newer edit is shown already."""
    done = conn.execute(
        "UPDATE messages SET content = ?, edited_at = ?, edit_seq = ?"
        " WHERE id = ? AND edit_seq < ? RETURNING conv_id",
        (encode_content(content), edited_at, edit_seq, message_id, edit_seq),
    ).fetchone()
    if done is not None:
        refresh_preview(conn, int(done[0]))
    return done is not None


def refresh_preview(conn: sqlite3.Connection, conv_id: int) -> None:
    """The list row's preview again from the message it shows (the last one), whose
    content an edit may have replaced."""
    row = conn.execute(
        "SELECT m.object_name, m.content FROM conversations c"
        " JOIN messages m ON m.conv_id = c.id AND m.seq = c.last_seq WHERE c.id = ?",
        (conv_id,),
    ).fetchone()
    if row is None:
        return
    try:
        content = msgspec.json.decode(row[1])
    except msgspec.DecodeError:
        return
    if isinstance(content, dict):
        conn.execute(
            "UPDATE conversations SET preview = ? WHERE id = ?",
            (catalogue.summarize(str(row[0]), content), conv_id),
        )
