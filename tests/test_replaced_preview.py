"""An ack whose content the server replaced (the app's backend, or a sensitive word)
changes the list row's preview only while the row shows that message: a message sent
or received after it keeps the row, whatever order the acks come back in."""

from __future__ import annotations

from pathlib import Path

from imkit_tui import messages
from imkit_tui.core.received_store import Coverage
from imkit_tui.core.store import LocalStore
from imkit_tui.protocol import ConvRef, MessageRecord

ME = "me"
BOB = ConvRef.private("bob")
AT = 1_700_000_000_000


async def _sent(store: LocalStore, cmid: str, text: str, at: int) -> int:
    """Queue a text of ours and claim it for sending, as the outbox does: its local id."""
    queued = await store.outbox.add(BOB, cmid, messages.TEXT, {"content": text}, at)
    await store.claims.next(at)
    return queued.id


async def _preview(store: LocalStore) -> str:
    row = await store.conversations.get(BOB)
    assert row is not None
    return row.preview


async def test_the_last_message_replaced_shows_in_the_list(tmp_path: Path) -> None:
    store = await LocalStore.open(tmp_path / "me.db", ME)
    try:
        first = await _sent(store, "c1", "oh darn it", AT)
        assert await _preview(store) == "oh darn it"
        await store.outbox.mark_sent(first, 1, "u1", AT + 5, content={"content": "oh **** it"})
        assert await _preview(store) == "oh **** it"
    finally:
        await store.close()


async def test_a_later_message_keeps_the_row_when_an_earlier_one_is_replaced(
    tmp_path: Path,
) -> None:
    """Seen in the app: "oh darn it" then "still there?" typed fast; the first one's ack
    (held for the backend, replaced) came after the second was written, and the row
    showed "oh **** it"."""
    store = await LocalStore.open(tmp_path / "me.db", ME)
    try:
        first = await _sent(store, "c1", "oh darn it", AT)
        second = await _sent(store, "c2", "still there?", AT + 1)
        # The second one still unsent when the first's ack comes back.
        await store.outbox.mark_sent(first, 1, "u1", AT + 9, content={"content": "oh **** it"})
        assert await _preview(store) == "still there?"
        # Both acked, the replaced one last.
        third = await _sent(store, "c3", "darn again", AT + 10)
        await store.outbox.mark_sent(second, 2, "u2", AT + 11)
        fourth = await _sent(store, "c4", "ok", AT + 12)
        await store.outbox.mark_sent(fourth, 4, "u4", AT + 13)
        await store.outbox.mark_sent(third, 3, "u3", AT + 14, content={"content": "**** again"})
        assert await _preview(store) == "ok"
        stored = await store.messages.by_ids([first, third])
        assert [m.content for m in stored] == [{"content": "oh **** it"}, {"content": "**** again"}]
    finally:
        await store.close()


async def test_a_message_received_after_it_keeps_the_row(tmp_path: Path) -> None:
    store = await LocalStore.open(tmp_path / "me.db", ME)
    try:
        mine = await _sent(store, "c1", "oh darn it", AT)
        reply = MessageRecord(
            uid="b2",
            conv=ConvRef.private(ME),
            seq=2,
            sender="bob",
            object_name=messages.TEXT,
            content={"content": "what?"},
            cmid="b-c2",
            sent_at=AT + 3,
        )
        await store.messages.add_received(BOB, [reply], Coverage(2, 1, 2))
        assert await _preview(store) == "what?"
        await store.outbox.mark_sent(mine, 1, "u1", AT + 2, content={"content": "oh **** it"})
        assert await _preview(store) == "what?"
    finally:
        await store.close()
