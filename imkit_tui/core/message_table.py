"""`store.messages`: the messages of each conversation, as pages, and as the server
sends them (stored per batch, with which seqs are held: their coverage)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from imkit_tui.core.models import Message, display_order
from imkit_tui.core.outbox_claims import written_elsewhere
from imkit_tui.core.received_store import Coverage, Received, ReceivedBatch, ReceivedRows
from imkit_tui.core.sql import select_messages, stored_conversation_id
from imkit_tui.core.store_parts import StoreParts
from imkit_tui.protocol import ConvRef, MessageRecord


class MessageTable:
    """Pages of messages, received messages, and the play state of voice and video."""

    def __init__(self, parts: StoreParts, received: ReceivedRows) -> None:
        self._db = parts.db
        self._reader = parts.reader
        self._writer = parts.writer
        self.claims = parts.claims
        self.received = received
        self.search_index = parts.search_index

    async def add_received(
        self, conv: ConvRef, records: Sequence[MessageRecord], coverage: Coverage
    ) -> ReceivedBatch:
        """Store records of one conversation (duplicates ignored) and its new coverage.

        Records of ours that are still in the outbox here (their ack was lost) are
        confirmed instead of added twice.
        """
        (batch,) = await self.add_received_many([Received(conv, records, coverage)])
        return batch

    async def add_received_many(self, items: Sequence[Received]) -> list[ReceivedBatch]:
        """Store the records of several conversations in one transaction (a burst of
        pushes, pulled pages); one ReceivedBatch per item, in order."""
        batches = await self._writer.submit(self.received.job_for_many(items))
        if any(batch.recalled for batch in batches):
            self.search_index.forget_removed()
        return batches

    async def written_elsewhere(self, conv: ConvRef, up_to_seq: int) -> list[Message]:
        """The messages of `conv` up to `up_to_seq` that another process of this user
        stored since this store opened (core/outbox_claims.py)."""

        def read(conn: sqlite3.Connection) -> list[Message]:
            row = stored_conversation_id(conn, conv)
            if row is None or up_to_seq <= 0:
                return []
            return written_elsewhere(
                conn,
                int(row[0]),
                self.claims.owner,
                self.received.opened_after,
                up_to_seq=up_to_seq,
            )

        return await self._reader.run(read)

    async def coverages(
        self, convs: Sequence[ConvRef]
    ) -> dict[ConvRef, tuple[Coverage, list[Message]]]:
        """For each of `convs`: which seqs are local (all zero for a conversation never
        seen), and the messages another process of this user stored there since this
        store opened (core/outbox_claims.py). One read, however many conversations."""
        owner, opened_after = self.claims.owner, self.received.opened_after

        def read(conn: sqlite3.Connection) -> dict[ConvRef, tuple[Coverage, list[Message]]]:
            found: dict[ConvRef, tuple[Coverage, list[Message]]] = {}
            for conv in convs:
                row = conn.execute(
                    "SELECT id, synced_seq, floor_seq, max_seq FROM conversations"
                    " WHERE type = ? AND target = ? AND channel = ?",
                    (conv.type, conv.target, conv.channel),
                ).fetchone()
                if row is None:
                    found[conv] = (Coverage(0, 0, 0), [])
                    continue
                elsewhere = (
                    written_elsewhere(conn, row[0], owner, opened_after, up_to_seq=row[1])
                    if row[1] > 0
                    else []
                )
                found[conv] = (Coverage(row[1], row[2], row[3]), elsewhere)
            return found

        return await self._reader.run(read)

    async def coverage(self, conv: ConvRef) -> Coverage:
        """Which seqs of `conv` are local (all zero for a conversation never seen)."""
        row = await self._reader.fetch_one(
            "SELECT synced_seq, floor_seq, max_seq FROM conversations"
            " WHERE type = ? AND target = ? AND channel = ?",
            (conv.type, conv.target, conv.channel),
        )
        if row is None:
            return Coverage(0, 0, 0)
        return Coverage(synced_seq=row[0], floor_seq=row[1], max_seq=row[2])

    async def get(self, message_id: int) -> Message | None:
        """One message by its local id."""
        found = await self._db.run(
            lambda conn: select_messages(conn, "WHERE m.id = ?", (message_id,))
        )
        return found[0] if found else None

    async def by_ids(self, message_ids: Sequence[int]) -> list[Message]:
        """The messages with these local ids (missing ones are left out), by id."""

        def read(conn: sqlite3.Connection) -> list[Message]:
            found: list[Message] = []
            for start in range(0, len(message_ids), 500):
                chunk = tuple(message_ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                found += select_messages(conn, f"WHERE m.id IN ({marks}) ORDER BY m.id", chunk)
            return found

        return await self._db.run(read)

    async def page(
        self, conv: ConvRef, *, before_seq: int | None = None, limit: int = 50
    ) -> list[Message]:
        """A page of a conversation, oldest first.

        Without `before_seq`: the newest `limit` stored messages, then the ones still in
        the outbox. With it: the `limit` stored messages just before that seq. A failed
        message of ours comes with the stored one it follows (`Message.place_seq`).
        """

        def read(conn: sqlite3.Connection) -> list[Message]:
            row = stored_conversation_id(conn, conv)
            if row is None:
                return []
            conv_id = row[0]
            if before_seq is not None:
                older = select_messages(
                    conn,
                    "WHERE m.conv_id = ? AND m.seq IS NOT NULL AND m.seq < ?"
                    " ORDER BY m.seq DESC LIMIT ?",
                    (conv_id, before_seq, limit),
                )[::-1]
                low = lowest_placed(older, limit)
                return in_place(older, _failed_between(conn, conv_id, low, before_seq))
            stored = select_messages(
                conn,
                "WHERE m.conv_id = ? AND m.seq IS NOT NULL ORDER BY m.seq DESC LIMIT ?",
                (conv_id, limit),
            )[::-1]
            low = lowest_placed(stored, limit)
            placed = in_place(stored, _failed_between(conn, conv_id, low, None))
            return placed + _unplaced(conn, conv_id)

        return await self._reader.run(read)

    async def around(
        self, conv: ConvRef, seq: int, *, before: int = 20, after: int = 20
    ) -> list[Message]:
        """The stored messages of `conv` around `seq`, oldest first: up to `before` just
        below it, the one at `seq` and up to `after` above it, with the failed messages
        of ours among them; when that reaches the newest, the ones still in the outbox
        follow, as in `page()`."""

        def read(conn: sqlite3.Connection) -> list[Message]:
            row = stored_conversation_id(conn, conv)
            if row is None:
                return []
            conv_id = row[0]
            older = select_messages(
                conn,
                "WHERE m.conv_id = ? AND m.seq IS NOT NULL AND m.seq < ?"
                " ORDER BY m.seq DESC LIMIT ?",
                (conv_id, seq, before),
            )[::-1]
            newer = select_messages(
                conn,
                "WHERE m.conv_id = ? AND m.seq IS NOT NULL AND m.seq >= ? ORDER BY m.seq LIMIT ?",
                (conv_id, seq, after + 2),
            )
            low = lowest_placed(older, before) if before else seq
            if len(newer) <= after + 1:
                stored = older + newer
                return in_place(stored, _failed_between(conn, conv_id, low, None)) + _unplaced(
                    conn, conv_id
                )
            newer = newer[: after + 1]
            # Those after the last one shown come with the page below it.
            top = newer[-1].seq
            return in_place(older + newer, _failed_between(conn, conv_id, low, top))

        return await self._reader.run(read)

    async def mark_listened(self, message_id: int) -> Message | None:
        """Note that a voice or video message was played on this device."""

        def job(conn: sqlite3.Connection) -> Message | None:
            conn.execute("UPDATE messages SET listened = 1 WHERE id = ?", (message_id,))
            found = select_messages(conn, "WHERE m.id = ?", (message_id,))
            return found[0] if found else None

        return await self._writer.submit(job)


def in_place(stored: list[Message], failed: list[Message]) -> list[Message]:
    """Stored messages (by seq) with failed ones of ours (by place) among them: each
    failed one after the stored message it follows, in the order they were written."""
    return sorted([*stored, *failed], key=display_order) if failed else stored


def lowest_placed(stored: list[Message], limit: int) -> int | None:
    """The lowest seq of a page of `limit` stored messages, oldest first, from which the
    failed messages placed come with it (those below come with the page above); None
    when the page reaches the start (all of them come with it)."""
    if len(stored) < limit or not stored or (stored[0].seq or 0) <= 1:
        return None
    return stored[0].seq


def _failed_between(
    conn: sqlite3.Connection, conv_id: int, low: int | None, below: int | None
) -> list[Message]:
    """The failed messages of ours placed after a stored seq from `low` up to, not
    including, `below` (None: no bound that way)."""
    return select_messages(
        conn,
        "WHERE m.conv_id = ? AND m.seq IS NULL AND m.place_seq IS NOT NULL"
        " AND m.place_seq >= ? AND m.place_seq < ? ORDER BY m.place_seq, m.id",
        (conv_id, -1 if low is None else low, (1 << 62) if below is None else below),
    )


def _unplaced(conn: sqlite3.Connection, conv_id: int) -> list[Message]:
    """The messages of ours still in the outbox (and any failed one with no place),
    which follow the newest."""
    return select_messages(
        conn,
        "WHERE m.conv_id = ? AND m.seq IS NULL AND m.place_seq IS NULL ORDER BY m.id",
        (conv_id,),
    )
