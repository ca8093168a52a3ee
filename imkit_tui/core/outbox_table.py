"""`store.outbox`: the messages of ours waiting to be sent, and what becomes of them.

A message is put here (status SENDING) before the first attempt to send it, claimed by
this store (core/outbox_claims.py); the server's ack or refusal takes it out.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import msgspec

from imkit_tui import messages as catalogue
from imkit_tui.core.list_preview import SILENT_IN_LIST, list_sender, shown_in_list
from imkit_tui.core.models import Direction, Message, SendStatus
from imkit_tui.core.outbox_claims import LEASE_MS
from imkit_tui.core.sql import (
    OWN_CMID,
    clear_failed_mark,
    recipients_column,
    select_messages,
    set_preview,
)
from imkit_tui.core.store_parts import StoreParts
from imkit_tui.protocol import ConvRef, encode_content

_INSERT_OUTGOING = (
    "INSERT OR IGNORE INTO messages(conv_id, cmid, sender, direction, status, counted,"
    " object_name, content, sent_at, recipients, mentioned, claimed_by, claim_until)"
    " VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, 0, ?, ?)"
)
"""Queues a message of ours (no seq or server id yet), claimed by this store."""


class OutboxTable:
    """Queue, confirm, fail and requeue messages of ours."""

    def __init__(self, parts: StoreParts) -> None:
        self.user_id = parts.user_id
        self._db = parts.db
        self._writer = parts.writer
        self._conversation_id = parts.conversation_id
        self.claims = parts.claims

    async def add(
        self,
        conv: ConvRef,
        cmid: str,
        object_name: str,
        content: dict[str, Any],
        now_ms: int,
        to: Sequence[str] = (),
    ) -> Message:
        """Put a message of ours in the outbox (status SENDING); `to` targets it at those
        members of a group. Idempotent by cmid: adding a cmid that is already stored
        returns the stored message as it is."""
        content_json = encode_content(content)
        preview = catalogue.summarize(object_name, content, self.user_id)

        def job(conn: sqlite3.Connection) -> Message:
            conv_id = self._conversation_id(conn, conv)
            # Claimed by this store in the same statement (core/outbox_claims.py).
            cursor = conn.execute(
                _INSERT_OUTGOING,
                (
                    conv_id,
                    cmid,
                    self.user_id,
                    Direction.SENT,
                    SendStatus.SENDING,
                    object_name,
                    content_json,
                    now_ms,
                    recipients_column(to),
                    self.claims.owner,
                    now_ms + LEASE_MS,
                ),
            )
            if cursor.rowcount and cursor.lastrowid is not None:
                if object_name not in SILENT_IN_LIST:
                    sender = list_sender(object_name, self.user_id)
                    set_preview(conn, conv_id, now_ms, preview, sender, None)
                return Message(
                    id=cursor.lastrowid,
                    conv=conv,
                    seq=None,
                    uid=None,
                    cmid=cmid,
                    sender=self.user_id,
                    object_name=object_name,
                    content=content,
                    sent_at=now_ms,
                    direction=Direction.SENT,
                    status=SendStatus.SENDING,
                    to=tuple(to),
                )
            (existing,) = select_messages(
                conn, f"WHERE m.sender = ? AND m.cmid = ? AND m.{OWN_CMID}", (self.user_id, cmid)
            )
            return existing

        return await self._writer.submit(job)

    async def mark_sent(
        self,
        message_id: int,
        seq: int,
        uid: str,
        sent_at: int,
        queued: Message | None = None,
        content: dict[str, Any] | None = None,
    ) -> Message | None:
        """Record the server's ack of a message of ours and return it; None if the row
        is gone. A row already confirmed (another process of this user stored the same
        message from the server first) is returned as it is. `queued`, the message as it
        was sent, spares reading the row back. `content`: what the server stored instead
        of what was sent (a word replaced): the message becomes it, and so does the list's
        preview while the row shows this message (not one sent or received after it)."""
        replaced = encode_content(content) if content is not None else None

        def job(conn: sqlite3.Connection) -> Message | None:
            row = conn.execute(
                "UPDATE messages SET seq = ?, uid = ?, sent_at = ?, status = ?, error = NULL,"
                " content = COALESCE(?, content)"
                " WHERE id = ? AND seq IS NULL RETURNING receipt, conv_id, object_name",
                (seq, uid, sent_at, SendStatus.SENT, replaced, message_id),
            ).fetchone()
            if row is not None and content is not None and row[2] not in SILENT_IN_LIST:
                conv_id = int(row[1])
                if shown_in_list(conn, conv_id) == message_id:  # the row shows it
                    preview = catalogue.summarize(str(row[2]), content, self.user_id)
                    conn.execute(
                        "UPDATE conversations SET preview = ?, last_sender = ?,"
                        " last_seq = MAX(last_seq, ?) WHERE id = ?",
                        (preview, list_sender(str(row[2]), self.user_id), seq, conv_id),
                    )
            if row is not None and queued is not None and queued.id == message_id:
                return msgspec.structs.replace(
                    queued,
                    seq=seq,
                    uid=uid,
                    sent_at=sent_at,
                    status=SendStatus.SENT,
                    error=None,
                    receipt_asked=row[0] != 0,
                    content=queued.content if content is None else content,
                )
            found = select_messages(conn, "WHERE m.id = ?", (message_id,))
            return found[0] if found else None

        # Queued, not run at once: acks arriving together (and whatever else is being
        # written) share one commit, after the messages received meanwhile.
        return await self._writer.submit_nowait(job)

    async def mark_failed(self, message_id: int, code: int) -> Message | None:
        """Take a message out of the outbox as failed with error `code`. It keeps its
        place: after the newest message stored before it was written (an earlier one of
        ours acked since included), not after those sent or received later."""

        def job(conn: sqlite3.Connection) -> Message | None:
            # Local ids grow in the order rows are written; walking the conversation's
            # seq index down from its newest stops at the first one written before ours.
            failed = conn.execute(
                "UPDATE messages SET status = ?, error = ?, place_seq = COALESCE((SELECT"
                " o.seq FROM messages o WHERE o.conv_id = messages.conv_id"
                " AND o.seq IS NOT NULL AND o.id < messages.id ORDER BY o.seq DESC LIMIT 1), 0)"
                " WHERE id = ? AND status = ? RETURNING conv_id",
                (SendStatus.FAILED, code, message_id, SendStatus.SENDING),
            ).fetchone()
            if failed is not None and shown_in_list(conn, failed[0]) == message_id:
                # The list row shows it: it says so (a newer message shown clears it).
                conn.execute(
                    "UPDATE conversations SET failed_id = ? WHERE id = ?", (message_id, failed[0])
                )
            found = select_messages(conn, "WHERE m.id = ?", (message_id,))
            return found[0] if found else None

        return await self._writer.submit(job)

    async def pending(self, limit: int = 100) -> list[Message]:
        """Messages waiting in the outbox, oldest first (a small indexed read, on the
        writer's connection so it always sees the latest writes)."""
        # The literal 0 (SENDING) lets SQLite use the partial index messages_outbox; a
        # bound parameter would make it scan every message.
        return await self._db.run(
            lambda conn: select_messages(conn, "WHERE m.status = 0 ORDER BY m.id LIMIT ?", (limit,))
        )

    async def count(self) -> int:
        """How many messages wait in the outbox."""
        row = await self._db.fetch_one("SELECT COUNT(*) FROM messages WHERE status = 0")
        return int(row[0]) if row else 0

    async def requeue(self, message_id: int, now_ms: int) -> Message | None:
        """Put a failed message of ours back in the outbox, with the same client id. It
        goes to the end of its conversation, as any message being sent, and its list
        row shows it from `now_ms` (it showed what came last before)."""

        def job(conn: sqlite3.Connection) -> Message | None:
            changed = conn.execute(
                "UPDATE messages SET status = ?, error = NULL, place_seq = NULL"
                " WHERE id = ? AND status = ?",
                (SendStatus.SENDING, message_id, SendStatus.FAILED),
            ).rowcount
            clear_failed_mark(conn, message_id)
            found = select_messages(conn, "WHERE m.id = ?", (message_id,))
            if not found:
                return None
            message = found[0]
            if changed and message.object_name not in SILENT_IN_LIST:
                (conv_id,) = conn.execute(
                    "SELECT conv_id FROM messages WHERE id = ?", (message_id,)
                ).fetchone()
                preview = catalogue.summarize(message.object_name, message.content, self.user_id)
                sender = list_sender(message.object_name, self.user_id)
                set_preview(conn, conv_id, now_ms, preview, sender, None)
            return message

        return await self._writer.submit(job)

    async def update_content(self, message_id: int, content: dict[str, Any]) -> Message | None:
        """Replace the content of a message still in the outbox (its upload finished)."""
        content_json = encode_content(content)

        def job(conn: sqlite3.Connection) -> Message | None:
            conn.execute(
                "UPDATE messages SET content = ? WHERE id = ? AND status = 0",
                (content_json, message_id),
            )
            found = select_messages(conn, "WHERE m.id = ?", (message_id,))
            return found[0] if found else None

        return await self._writer.submit(job)
