"""Where a conversation's history starts for a reader: the first message not older
than a time, found along the primary key (the store's pulls use it for retention)."""

from __future__ import annotations

import sqlite3


def first_since(conn: sqlite3.Connection, *, conv_id: int, at: int) -> int | None:
    """The first seq of a conversation sent at `at` or later (None: there is none).

    A message's sent_at is never before the one of the message above it (store.py,
    `_append_row`), so this is a search along the primary key: one lookup when nothing
    has expired, a binary search over the seqs (log n lookups) when some has and
    retention has not removed it yet, never a scan.
    """

    def next_from(seq: int) -> tuple[int, int] | None:
        row = conn.execute(
            "SELECT seq, sent_at FROM messages WHERE conv_id = ? AND seq >= ? ORDER BY seq LIMIT 1",
            (conv_id, seq),
        ).fetchone()
        return (int(row[0]), int(row[1])) if row is not None else None

    first = next_from(0)
    if first is None or first[1] >= at:
        return first[0] if first is not None else None
    row = conn.execute(
        "SELECT seq, sent_at FROM messages WHERE conv_id = ? ORDER BY seq DESC LIMIT 1",
        (conv_id,),
    ).fetchone()
    if int(row[1]) < at:
        return None
    low, high = first[0], int(row[0])  # sent before `at` at low, not at high
    while high - low > 1:
        middle = (low + high) // 2
        found = next_from(middle)
        assert found is not None  # `high` is there
        if found[1] >= at:
            high = middle
        else:
            low = middle
    found = next_from(high)
    assert found is not None
    return found[0]
