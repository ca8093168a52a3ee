"""The search indexer finds new messages by their ids (above its head), so storing a
message writes nothing for search; changed content and reused ids are queued."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from imkit_tui import messages
from imkit_tui.core.received_store import Coverage
from imkit_tui.core.store import LocalStore
from imkit_tui.protocol import ConvRef, MessageRecord

CONV = ConvRef.private("alice")


async def _receive(store: LocalStore, seq: int, text: str) -> int:
    record = MessageRecord(
        uid=f"uid-{seq}",
        conv=CONV,
        seq=seq,
        sender="alice",
        object_name=messages.TEXT,
        content={"content": text},
        cmid=f"cmid-{seq}",
        sent_at=1_700_000_000_000 + seq,
    )
    batch = await store.messages.add_received(CONV, [record], Coverage(seq, 1, seq))
    (added,) = batch.added
    return added.id


async def _indexed(store: LocalStore) -> list[tuple[int, str]]:
    """(message id, indexed text) of every index row, by id."""

    def read(conn: sqlite3.Connection) -> list[tuple[int, str]]:
        rows = conn.execute("SELECT id, text FROM message_search ORDER BY id, text").fetchall()
        return [(int(i), str(t)) for i, t in rows]

    return await store.read(read)


async def _queued(store: LocalStore) -> int:
    row = await store.read(
        lambda conn: conn.execute("SELECT COUNT(*) FROM search_pending").fetchone()
    )
    return int(row[0])


def _replace(tmp_path: Path, message_id: int, text: str) -> None:
    """Replace a message's content (as a recall or an edit does)."""
    with sqlite3.connect(tmp_path / "bob.db") as conn:
        content = '{"content":"' + text + '"}'
        conn.execute("UPDATE messages SET content = ? WHERE id = ?", (content, message_id))


async def test_a_new_message_queues_nothing_and_is_indexed_once(tmp_path: Path) -> None:
    store = await LocalStore.open(tmp_path / "bob.db", "bob")
    try:
        await store.search_index.stop()
        first = await _receive(store, 1, "first words")
        second = await _receive(store, 2, "second words")
        assert await _queued(store) == 0
        assert await store.search_index.backlog() == 2
        assert await store.search_index.flush() == 2
        assert [i for i, _ in await _indexed(store)] == [first, second]
        assert await store.search_index.backlog() == 0
        assert await store.search_index.flush() == 0
    finally:
        await store.close()


async def test_content_replaced_before_indexing_is_indexed_once(tmp_path: Path) -> None:
    store = await LocalStore.open(tmp_path / "bob.db", "bob")
    try:
        await store.search_index.stop()
        message_id = await _receive(store, 1, "draft text")
        _replace(tmp_path, message_id, "final text")
        assert await _queued(store) == 0  # above the head: found there, as it is now
        await store.search_index.flush()
        indexed = await _indexed(store)
        assert len(indexed) == 1 and "final" in indexed[0][1]
        # At or below the head now: a change is queued and indexed again.
        _replace(tmp_path, message_id, "edited text")
        assert await _queued(store) == 1
        await store.search_index.flush()
        indexed = await _indexed(store)
        assert len(indexed) == 1 and "edited" in indexed[0][1]
    finally:
        await store.close()


async def test_a_reused_id_is_indexed(tmp_path: Path) -> None:
    store = await LocalStore.open(tmp_path / "bob.db", "bob")
    try:
        await store.search_index.stop()
        await _receive(store, 1, "kept message")
        newest = await _receive(store, 2, "deleted message")
        await store.search_index.flush()
        # A row gone (as an unsent message deleted here goes): SQLite gives the next
        # row the highest id plus one, the gone one's, which is at the head, not above.
        with sqlite3.connect(tmp_path / "bob.db") as conn:
            conn.execute("DELETE FROM messages WHERE id = ?", (newest,))
        again = await _receive(store, 3, "replacement message")
        assert again == newest
        assert await _queued(store) == 1
        await store.search_index.flush()
        texts = [t for _, t in await _indexed(store)]
        assert any("replacement" in t for t in texts)
        assert not any("deleted" in t for t in texts)
    finally:
        await store.close()
