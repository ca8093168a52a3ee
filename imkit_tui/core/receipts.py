"""Group read receipts in the local store.

A message's `receipt` column: 0 no receipt asked; on an own message 1 means receipts
were asked for; on another's message 1 means its sender asked (answer once it is read
here), 2 that it was read here and the answer waits to be sent (the state loop sends
it whenever connected, so an answer made offline is not lost), 3 that it was answered.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING

from imkit_tui import messages as catalogue
from imkit_tui.core.sql import select_messages
from imkit_tui.protocol import ConvRef, MessageRecord

if TYPE_CHECKING:
    from imkit_tui.core.models import Message
    from imkit_tui.core.store_parts import StoreParts

ASKED = 1
TO_ANSWER = 2
ANSWERED = 3

ANSWER_BATCH = 500
"""The most messages answered in one ReadReceipt (the frame's limit)."""


def note_requests(
    conn: sqlite3.Connection, conv_id: int, records: Sequence[MessageRecord], me: str
) -> list[int]:
    """Mark the messages the receipt requests among `records` ask about (inside the job
    that stores them); a message already read here is to be answered at once. Returns
    the ids of the messages changed."""
    changed: list[int] = []
    for record in records:
        if record.object_name != catalogue.READ_RECEIPT_REQUEST:
            continue
        uid = record.content.get("messageUId")
        if not isinstance(uid, str):
            continue
        row = conn.execute(
            "UPDATE messages SET receipt = CASE WHEN sender = ? THEN ? WHEN seq <="
            " (SELECT read_seq FROM conversations WHERE id = ?) THEN ? ELSE ? END"
            " WHERE uid = ? AND conv_id = ? AND sender = ? AND receipt = 0 RETURNING id",
            (me, ASKED, conv_id, TO_ANSWER, ASKED, uid, conv_id, record.sender),
        ).fetchone()
        if row is not None:
            changed.append(int(row[0]))
    return changed


def answer_read(conn: sqlite3.Connection, conv_id: int) -> int:
    """Everything up to the read position was read here: answer its receipt requests
    (inside a writer job). Returns how many are now to be answered."""
    # The partial index messages_receipt_asked (migration 11) holds only the requests
    # waiting for an answer: without it this statement read the conversation's whole
    # history (the seq range up to the read position). The literals (receipt = 1,
    # direction = 0: ASKED, RECEIVED) are the index's own terms, so SQLite always
    # takes it.
    cursor = conn.execute(
        "UPDATE messages SET receipt = ? WHERE conv_id = ? AND receipt = 1 AND direction = 0"
        " AND seq <= (SELECT read_seq FROM conversations WHERE id = ?)",
        (TO_ANSWER, conv_id, conv_id),
    )
    return cursor.rowcount


class ReceiptTable:
    """`store.receipts`: the answers waiting to be sent, and receipts asked for here."""

    def __init__(self, parts: StoreParts) -> None:
        self._writer = parts.writer
        self._reader = parts.reader

    async def pending(self) -> list[tuple[ConvRef, list[str]]]:
        """The answers to send: per conversation, the server ids of the messages read."""
        # The literal 2 (TO_ANSWER) is the partial index messages_receipt_pending's own
        # term: the read covers the answers waiting, never the messages.
        rows = await self._reader.fetch_all(
            "SELECT c.type, c.target, c.channel, m.uid FROM messages m"
            " JOIN conversations c ON c.id = m.conv_id WHERE m.receipt = 2 ORDER BY m.conv_id",
        )
        pending: dict[ConvRef, list[str]] = {}
        for conv_type, target, channel, uid in rows:
            conv = ConvRef(type=conv_type, target=target, channel=channel)
            uids = pending.setdefault(conv, [])
            if len(uids) < ANSWER_BATCH:
                uids.append(str(uid))
        return list(pending.items())

    async def answered(self, uids: Sequence[str]) -> None:
        """The server has these answers (or refused them for good): do not send again."""

        def job(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "UPDATE messages SET receipt = ? WHERE uid = ? AND receipt = ?",
                [(ANSWERED, uid, TO_ANSWER) for uid in uids],
            )

        await self._writer.submit(job)

    async def note_asked(self, message_id: int) -> Message | None:
        """Receipts were asked for this own message; the message as it is now."""

        def job(conn: sqlite3.Connection) -> Message | None:
            conn.execute(
                "UPDATE messages SET receipt = ? WHERE id = ? AND receipt = 0", (ASKED, message_id)
            )
            found = select_messages(conn, "WHERE m.id = ?", (message_id,))
            return found[0] if found else None

        return await self._writer.submit(job)
