"""Group read receipts in the server store: which messages receipts were asked for, and
who has read each of them. The store's `receipts`: jobs on its writer, reads on its
reader."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from imkit_tui.server.targeted_store import TargetedStore
from imkit_tui.storage import BatchWriter, Database


@dataclass(frozen=True, slots=True)
class StoredRef:
    """A stored message found by its server id: where it is and who sent it when."""

    uid: str
    seq: int
    sender: str
    sent_at: int


class ReceiptStore:
    """Receipt requests and the readers of each requested message."""

    def __init__(self, writer: BatchWriter, reader: Database, audiences: TargetedStore) -> None:
        self._writer = writer
        self._reader = reader
        self._audiences = audiences

    async def find_messages(self, conv_id: int, uids: Sequence[str]) -> list[StoredRef]:
        """The messages of a conversation with these server ids (unknown ones left out)."""
        if not uids:
            return []
        marks = ",".join("?" * len(uids))
        rows = await self._reader.fetch_all(
            "SELECT uid, seq, sender, sent_at FROM messages"
            f" WHERE conv_id = ? AND uid IN ({marks})",
            (conv_id, *uids),
        )
        return [StoredRef(str(r[0]), int(r[1]), str(r[2]), int(r[3])) for r in rows]

    async def request(self, conv_id: int, seq: int) -> None:
        """Note that the sender of the message at `seq` asked for read receipts."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR IGNORE INTO receipt_requests(conv_id, seq) VALUES (?, ?)",
                (conv_id, seq),
            )

        await self._writer.submit(job)

    async def requested(self, conv_id: int, seq: int) -> bool:
        """Whether receipts were asked for the message at `seq`."""
        row = await self._reader.fetch_one(
            "SELECT 1 FROM receipt_requests WHERE conv_id = ? AND seq = ?", (conv_id, seq)
        )
        return row is not None

    async def record_reads(
        self, conv_id: int, reader: str, seqs: Sequence[int], now_ms: int
    ) -> list[int]:
        """Record that `reader` read these messages; return the seqs newly recorded (only
        messages receipts were asked for count)."""

        def job(conn: sqlite3.Connection) -> list[int]:
            recorded: list[int] = []
            for seq in seqs:
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO receipts(conv_id, seq, reader, read_at)"
                    " SELECT conv_id, seq, ?, ? FROM receipt_requests"
                    " WHERE conv_id = ? AND seq = ?",
                    (reader, now_ms, conv_id, seq),
                )
                if cursor.rowcount:
                    recorded.append(seq)
            return recorded

        return await self._writer.submit(job)

    async def readers(
        self, conv_id: int, conv_key: str, messages: Sequence[StoredRef]
    ) -> dict[str, tuple[list[str], list[str]]]:
        """For each message receipts were asked for (by uid): who read it and who has
        not yet, among the members who can see it (in the group when it was sent, in its
        audience when targeted, the sender left out)."""
        if not messages:
            return {}
        marks = ",".join("?" * len(messages))
        seqs = [m.seq for m in messages]
        requested = {
            int(r[0])
            for r in await self._reader.fetch_all(
                f"SELECT seq FROM receipt_requests WHERE conv_id = ? AND seq IN ({marks})",
                (conv_id, *seqs),
            )
        }
        readers: dict[int, set[str]] = {}
        for seq, reader in await self._reader.fetch_all(
            f"SELECT seq, reader FROM receipts WHERE conv_id = ? AND seq IN ({marks})",
            (conv_id, *seqs),
        ):
            readers.setdefault(int(seq), set()).add(str(reader))
        members = await self._reader.fetch_all(
            "SELECT user_id, joined_at FROM members WHERE conv_id = ? AND left_seq IS NULL"
            " ORDER BY joined_at, user_id",
            (conv_id,),
        )
        return unread_split(
            messages,
            requested,
            readers,
            [(str(u), int(j)) for u, j in members],
            lambda seq: self._audiences.audience(conv_key, seq),
        )


def unread_split(
    messages: Sequence[StoredRef],
    requested: set[int],
    readers: dict[int, set[str]],
    members: Sequence[tuple[str, int]],
    audience_of: Callable[[int], frozenset[str] | None],
) -> dict[str, tuple[list[str], list[str]]]:
    """For each of `messages` receipts were `requested` for (by uid): who of `members`
    (user, joined at) read it and who has not yet, among those who can see it (in the
    group when it was sent, in its audience when targeted, the sender left out)."""
    answer: dict[str, tuple[list[str], list[str]]] = {}
    for message in messages:
        if message.seq not in requested:
            continue
        audience = audience_of(message.seq)
        seen_by = readers.get(message.seq, set())
        read: list[str] = []
        unread: list[str] = []
        for user, joined_at in members:
            if user == message.sender or joined_at > message.sent_at:
                continue
            if audience is not None and user not in audience:
                continue
            (read if user in seen_by else unread).append(user)
        answer[message.uid] = (read, unread)
    return answer
