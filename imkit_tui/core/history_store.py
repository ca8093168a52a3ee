"""The local store's side of recall, delete, clear history and removing a conversation.

A recalled message keeps its row and place but becomes a recall notice (RC:RcNtf) with
none of its content; a deleted one becomes a content-free tombstone (imkit:Deleted), so
the seqs a conversation holds stay gapless and sync never asks for them again. Clearing
drops the rows up to a seq and raises the conversation's floor past them. Each of these
recounts the unread messages and the unread mentions (a recalled or deleted message
mentions nobody any more). The search index follows by itself: replacing content
takes a message out of it (see the triggers of migration 4).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from imkit_tui import messages as catalogue
from imkit_tui.core.list_preview import show_newest, shown_in_list
from imkit_tui.core.models import Message
from imkit_tui.core.sql import clear_failed_mark, recount_unread, select_messages
from imkit_tui.protocol import ConvRef, MessageRecord, encode_content

if TYPE_CHECKING:
    from imkit_tui.core.store_parts import StoreParts

_EMPTY = encode_content({})
_REPLACE = "UPDATE messages SET object_name = ?, content = ?, counted = 0, mentioned = 0"
"""Replaces a message's content by a notice or a tombstone: it no longer counts as
unread, nor as a mention of this user."""


def recall_notice(
    operator: str, when: int, original: str, *, by_admin: bool = False
) -> dict[str, Any]:
    """The content a recalled message is left with: who recalled it, when, what it was
    (and `isAdmin` when the app's administrator recalled it)."""
    notice: dict[str, Any] = {
        "operatorId": operator,
        "recallTime": when,
        "originalObjectName": original,
    }
    if by_admin:
        notice["isAdmin"] = 1
    return notice


def apply_recalls(
    conn: sqlite3.Connection, conv_id: int, records: Sequence[MessageRecord]
) -> list[int]:
    """Turn the originals of the recall commands among `records` into recall notices.

    Runs inside the writer job that stores the records; returns the ids of the messages
    it changed. An original not stored here yet needs nothing: the server already holds
    it as a notice.
    """
    changed: list[int] = []
    for record in records:
        uid = record.content.get("messageUId") if record.object_name == catalogue.RECALL else None
        if not isinstance(uid, str):
            continue
        row = conn.execute(
            "SELECT id, object_name FROM messages WHERE uid = ? AND conv_id = ? AND sender = ?",
            (uid, conv_id, record.sender),
        ).fetchone()
        if row is None or row[1] == catalogue.RECALL_NTF:
            continue
        by_admin = catalogue.recalled_by_admin(record.content)
        notice = recall_notice(record.sender, record.sent_at, row[1], by_admin=by_admin)
        conn.execute(
            f"{_REPLACE} WHERE id = ?",
            (catalogue.RECALL_NTF, encode_content(notice), row[0]),
        )
        changed.append(int(row[0]))
    if changed:
        recount_unread(conn, conv_id)
    return changed


class HistoryTable:
    """`store.history`: recall, delete, clear and remove, here."""

    def __init__(self, parts: StoreParts) -> None:
        self._writer = parts.writer
        self._conversation_id = parts.conversation_id
        self._user_id = parts.user_id
        self.search_index = parts.search_index

    async def by_uid(self, conv: ConvRef, uid: str) -> Message | None:
        """The stored message of `conv` with server id `uid`, if it is here."""

        def read(conn: sqlite3.Connection) -> Message | None:
            found = select_messages(
                conn,
                "WHERE m.uid = ? AND c.type = ? AND c.target = ? AND c.channel = ?",
                (uid, conv.type, conv.target, conv.channel),
            )
            return found[0] if found else None

        return await self._writer.submit(read)

    async def recall(self, message: Message, when: int) -> Message | None:
        """Show an own message as recalled (the server confirmed the recall)."""
        content = recall_notice(message.sender, when, message.object_name)
        notice = encode_content(content)
        summary = catalogue.summarize(catalogue.RECALL_NTF, content, message.sender)

        def job(conn: sqlite3.Connection) -> Message | None:
            conn.execute(
                f"{_REPLACE} WHERE id = ?",
                (catalogue.RECALL_NTF, notice, message.id),
            )
            # The list row showed the text if it was the last message: not any more.
            conn.execute(
                "UPDATE conversations SET preview = ? WHERE id ="
                " (SELECT conv_id FROM messages WHERE id = ?)"
                " AND last_seq <= ?",
                (summary, message.id, message.seq),
            )
            found = select_messages(conn, "WHERE m.id = ?", (message.id,))
            return found[0] if found else None

        recalled = await self._writer.submit(job)
        self.search_index.forget_removed()
        return recalled

    async def delete(self, chosen: Sequence[Message]) -> list[Message]:
        """Delete messages on this device: stored ones become tombstones, unsent ones go.

        Returns the tombstones (messages that were waiting in the outbox are gone and
        will not be sent).
        """
        stored = [m.id for m in chosen if m.seq is not None]
        unsent = [m.id for m in chosen if m.seq is None]

        def job(conn: sqlite3.Connection) -> list[Message]:
            conv_ids: set[int] = set()
            for message_id in [*stored, *unsent]:
                row = conn.execute(
                    "SELECT conv_id FROM messages WHERE id = ?", (message_id,)
                ).fetchone()
                if row is not None:
                    conv_ids.add(int(row[0]))
            shown = {conv_id: shown_in_list(conn, conv_id) for conv_id in conv_ids}
            for message_id in unsent:
                clear_failed_mark(conn, message_id)
                conn.execute("DELETE FROM messages WHERE id = ? AND seq IS NULL", (message_id,))
            for message_id in stored:
                conn.execute(
                    f"{_REPLACE} WHERE id = ?",
                    (catalogue.DELETED, _EMPTY, message_id),
                )
            gone = {*stored, *unsent}
            for conv_id in conv_ids:
                recount_unread(conn, conv_id)
                if shown[conv_id] in gone:  # its list row showed one of them
                    show_newest(conn, conv_id, self._user_id)
            if not stored:
                return []
            marks = ",".join("?" * len(stored))
            return select_messages(conn, f"WHERE m.id IN ({marks})", tuple(stored))

        return await self._writer.submit(job)

    async def delete_seqs(self, conv: ConvRef, seqs: Sequence[int]) -> list[Message]:
        """Tombstone the messages at `seqs` (deleted on another device of this user)."""

        def job(conn: sqlite3.Connection) -> list[Message]:
            conv_id = self._conversation_id(conn, conv)
            marks = ",".join("?" * len(seqs))
            where = f"WHERE conv_id = ? AND seq IN ({marks}) AND object_name != ?"
            ids = [
                int(row[0])
                for row in conn.execute(
                    f"SELECT id FROM messages {where}", (conv_id, *seqs, catalogue.DELETED)
                ).fetchall()
            ]
            if not ids:
                return []
            shown = shown_in_list(conn, conv_id)
            id_marks = ",".join("?" * len(ids))
            conn.execute(
                f"{_REPLACE} WHERE id IN ({id_marks})",
                (catalogue.DELETED, _EMPTY, *ids),
            )
            recount_unread(conn, conv_id)
            if shown in ids:  # its list row showed one of them
                show_newest(conn, conv_id, self._user_id)
            return select_messages(conn, f"WHERE m.id IN ({id_marks})", tuple(ids))

        return await self._writer.submit(job) if seqs else []

    async def clear(self, conv: ConvRef, up_to_seq: int | None = None) -> tuple[int, int]:
        """Drop the stored messages of `conv` up to `up_to_seq` (all when None); they
        count as read. Returns the seq cleared up to and how many messages went; unsent
        messages stay."""

        def job(conn: sqlite3.Connection) -> tuple[int, int]:
            conv_id = self._conversation_id(conn, conv)
            row = conn.execute(
                "SELECT MAX(max_seq, synced_seq, last_seq), floor_seq FROM conversations"
                " WHERE id = ?",
                (conv_id,),
            ).fetchone()
            cleared = row[0] if up_to_seq is None else min(up_to_seq, row[0])
            if cleared < row[1]:
                # Cleared before: every state from the server repeats the mark.
                return int(cleared), 0
            removed = conn.execute(
                "DELETE FROM messages WHERE conv_id = ? AND seq IS NOT NULL AND seq <= ?",
                (conv_id, cleared),
            ).rowcount
            conn.execute(
                "UPDATE conversations SET floor_seq = MAX(floor_seq, ? + 1),"
                " synced_seq = MAX(synced_seq, ?), read_seq = MAX(read_seq, ?),"
                " preview = CASE WHEN last_seq <= ? THEN '' ELSE preview END"
                " WHERE id = ?",
                (cleared, cleared, cleared, cleared, conv_id),
            )
            recount_unread(conn, conv_id)
            return int(cleared), removed

        return await self._writer.submit(job)

    async def remove(self, conv: ConvRef) -> None:
        """Take `conv` off the list until its next message (its history stays)."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE conversations SET hidden = 1, draft = '', draft_at = 0 WHERE id = ?",
                (self._conversation_id(conn, conv),),
            )

        await self._writer.submit(job)
