"""A failed message of ours keeps its place in the conversation: after the stored
message it followed when it was written, before those sent or received after it, in
every page the store hands out (the newest, older ones, around a search result). Sent
again, it goes to the end as any message being sent."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from imkit_tui import messages
from imkit_tui.core.models import Message, SendStatus
from imkit_tui.core.received_store import Coverage
from imkit_tui.core.schema import MIGRATIONS
from imkit_tui.core.store import LocalStore
from imkit_tui.protocol import ConvRef, ErrorCode, MessageRecord

ME = "me"
BOB = ConvRef.private("bob")
AT = 1_700_000_000_000


def from_bob(seq: int, text: str) -> MessageRecord:
    """Message `seq` of the conversation with bob, from bob."""
    return MessageRecord(
        uid=f"b{seq}",
        conv=ConvRef.private(ME),
        seq=seq,
        sender="bob",
        object_name=messages.TEXT,
        content={"content": text},
        cmid=f"b-c{seq}",
        sent_at=AT + seq * 10,
    )


async def _received(store: LocalStore, seq: int, text: str) -> None:
    await store.messages.add_received(BOB, [from_bob(seq, text)], Coverage(seq, 1, seq))


async def _queued(store: LocalStore, cmid: str, text: str) -> int:
    queued = await store.outbox.add(BOB, cmid, messages.TEXT, {"content": text}, AT)
    await store.claims.next(AT)
    return queued.id


def as_version_20(conn: sqlite3.Connection) -> None:
    """Undo migration 21 in a store: no failed mark on the list rows, and an ultra
    group's list row kept by the triggers of migration 15, as version 20 had them."""
    conn.execute("DROP TRIGGER ultra_row_on_update")
    conn.execute("DROP TRIGGER ultra_row_on_delete")
    conn.execute("ALTER TABLE conversations DROP COLUMN failed_id")
    v15 = MIGRATIONS[14].sql
    conn.executescript(v15[v15.index("CREATE TRIGGER ultra_row_on_update") :])
    conn.execute("PRAGMA user_version = 20")


def _texts(page: list[Message]) -> list[str]:
    return [str(m.content["content"]) for m in page]


async def _conversation(tmp_path: Path) -> tuple[LocalStore, int]:
    """hi (bob); oh darn, buy spam, still there? typed fast by me; buy spam refused
    after oh darn was stored and before still there? was; then bye (bob). The store,
    and the refused message's id."""
    store = await LocalStore.open(tmp_path / "me.db", ME)
    await _received(store, 1, "hi")
    darn = await _queued(store, "c1", "oh darn")
    spam = await _queued(store, "c2", "buy spam")
    still = await _queued(store, "c3", "still there?")
    await store.outbox.mark_sent(darn, 2, "u2", AT + 20)
    failed = await store.outbox.mark_failed(spam, ErrorCode.SENSITIVE_WORD_BLOCKED)
    assert failed is not None and failed.place_seq == 2
    await store.outbox.mark_sent(still, 3, "u3", AT + 30)
    await _received(store, 4, "bye")
    return store, spam


ALL = ["hi", "oh darn", "buy spam", "still there?", "bye"]


async def test_every_page_shows_a_refused_message_where_it_was_written(tmp_path: Path) -> None:
    store, _spam = await _conversation(tmp_path)
    try:
        assert _texts(await store.messages.page(BOB)) == ALL
        # Paged from the end, one stored message at a time: it comes once, in place.
        assert _texts(await store.messages.page(BOB, limit=2)) == ALL[3:]
        assert _texts(await store.messages.page(BOB, before_seq=3, limit=1)) == ALL[1:3]
        assert _texts(await store.messages.page(BOB, before_seq=2, limit=1)) == ALL[:1]
        assert _texts(await store.messages.page(BOB, before_seq=4, limit=10)) == ALL[:4]
        # Around a search result, as far as the page goes.
        around = await store.messages.around(BOB, 3, before=1, after=0)
        assert _texts(around) == ALL[1:4]
        assert _texts(await store.messages.around(BOB, 2, before=1, after=5)) == ALL
    finally:
        await store.close()


async def test_sent_again_it_goes_to_the_end(tmp_path: Path) -> None:
    store, spam = await _conversation(tmp_path)
    try:
        again = await store.outbox.requeue(spam, AT + 100)
        assert again is not None and again.status == SendStatus.SENDING
        assert again.place_seq is None
        assert _texts(await store.messages.page(BOB)) == [*ALL[:2], *ALL[3:], "buy spam"]
        row = await store.conversations.get(BOB)  # the list shows it last, as the chat does
        assert row is not None and row.preview == "buy spam" and not row.failed
    finally:
        await store.close()


async def test_a_failure_kept_by_the_previous_version_takes_its_place(tmp_path: Path) -> None:
    """A store of the version before places (18): its failed row is placed when the
    store is opened (migration 19), not left after the newest."""
    store, spam = await _conversation(tmp_path)
    await store.close()
    with sqlite3.connect(tmp_path / "me.db") as conn:
        as_version_20(conn)
        for table in ("messages", "chatroom_messages"):  # as version 18 made them
            conn.execute(f"DROP INDEX {table}_failed_place")
            conn.execute(f"ALTER TABLE {table} DROP COLUMN place_seq")
        conn.execute("PRAGMA user_version = 18")
    store = await LocalStore.open(tmp_path / "me.db", ME)
    try:
        assert _texts(await store.messages.page(BOB)) == ALL
        (failed,) = await store.messages.by_ids([spam])
        assert failed.place_seq == 2
    finally:
        await store.close()


async def test_one_refused_before_anything_was_stored_comes_first(tmp_path: Path) -> None:
    store = await LocalStore.open(tmp_path / "me.db", ME)
    try:
        spam = await _queued(store, "c1", "buy spam")
        failed = await store.outbox.mark_failed(spam, ErrorCode.SENSITIVE_WORD_BLOCKED)
        assert failed is not None and failed.place_seq == 0
        await _received(store, 1, "hi")
        await _received(store, 2, "there?")
        assert _texts(await store.messages.page(BOB)) == ["buy spam", "hi", "there?"]
        assert _texts(await store.messages.page(BOB, limit=1)) == ["there?"]
        assert _texts(await store.messages.page(BOB, before_seq=2, limit=1)) == [
            "buy spam",
            "hi",
        ]
    finally:
        await store.close()


async def _failed_mark(store: LocalStore) -> bool:
    row = await store.conversations.get(BOB)
    assert row is not None
    return row.failed


async def test_the_list_row_says_when_the_message_it_shows_failed(tmp_path: Path) -> None:
    """The row shows our refused message with a mark, until a newer message is shown
    or the message is sent again (deleted, the row shows the one before it); a failure
    the row does not show (something came after it) marks nothing."""
    store = await LocalStore.open(tmp_path / "me.db", ME)
    try:
        await _received(store, 1, "hi")
        spam = await _queued(store, "c1", "buy spam")
        await store.outbox.mark_failed(spam, ErrorCode.SENSITIVE_WORD_BLOCKED)
        assert await _failed_mark(store)
        await _received(store, 2, "what?")
        assert not await _failed_mark(store)
        # Refused after bob's reply was stored: the row shows the reply, unmarked.
        late = await _queued(store, "c2", "more spam")
        await _received(store, 3, "stop it")
        await store.outbox.mark_failed(late, ErrorCode.SENSITIVE_WORD_BLOCKED)
        assert not await _failed_mark(store)
        # Refused while a message of ours written after it is still sending: no mark.
        first, second = await _queued(store, "c3", "spam a"), await _queued(store, "c4", "ok")
        await store.outbox.mark_failed(first, ErrorCode.SENSITIVE_WORD_BLOCKED)
        assert not await _failed_mark(store)
        await store.outbox.mark_failed(second, ErrorCode.MUTED_IN_GROUP)
        assert await _failed_mark(store)
        await store.outbox.requeue(second, AT + 100)
        assert not await _failed_mark(store)
        await store.outbox.mark_failed(second, ErrorCode.MUTED_IN_GROUP)
        assert await _failed_mark(store)
        (gone,) = await store.messages.by_ids([second])
        await store.history.delete([gone])  # the row shows the one before: failed too
        shown = await store.conversations.get(BOB)
        assert shown is not None and shown.preview == "spam a" and shown.failed
    finally:
        await store.close()


async def test_a_failure_the_list_row_shows_is_marked_on_upgrade(tmp_path: Path) -> None:
    """A store of version 20 holding a failure its row shows: marked once opened
    (migration 21); one followed by a newer message is not."""
    store = await LocalStore.open(tmp_path / "me.db", ME)
    await _received(store, 1, "hi")
    spam = await _queued(store, "c1", "buy spam")
    await store.outbox.mark_failed(spam, ErrorCode.SENSITIVE_WORD_BLOCKED)
    other = ConvRef.private("carol")
    early = await store.outbox.add(other, "c2", messages.TEXT, {"content": "spam"}, AT)
    await store.claims.next(AT)
    await store.outbox.mark_failed(early.id, ErrorCode.SENSITIVE_WORD_BLOCKED)
    await store.outbox.add(other, "c3", messages.TEXT, {"content": "sorry"}, AT + 1)
    await store.close()
    with sqlite3.connect(tmp_path / "me.db") as conn:
        as_version_20(conn)
    store = await LocalStore.open(tmp_path / "me.db", ME)
    try:
        assert await _failed_mark(store)
        row = await store.conversations.get(other)
        assert row is not None and not row.failed
    finally:
        await store.close()


async def test_deleting_what_the_list_row_shows_shows_the_one_before(tmp_path: Path) -> None:
    """Deleting the last message left its text in the list, here and when another
    device deleted it: the row now shows the newest message left (marked when that is
    our failure); deleting an older one leaves the row as it is."""
    store = await LocalStore.open(tmp_path / "me.db", ME)

    async def row() -> tuple[str, str, bool]:
        found = await store.conversations.get(BOB)
        assert found is not None
        return found.preview, found.last_sender, found.failed

    try:
        await _received(store, 1, "hi")
        spam = await _queued(store, "c1", "buy spam")
        await store.outbox.mark_failed(spam, ErrorCode.SENSITIVE_WORD_BLOCKED)
        await _received(store, 2, "what?")
        await _received(store, 3, "hello?")
        assert await row() == ("hello?", "bob", False)
        (older,) = [m for m in await store.messages.page(BOB) if m.seq == 2]
        await store.history.delete([older])
        assert await row() == ("hello?", "bob", False)
        await store.history.delete_seqs(BOB, [3])  # by another device of mine
        assert await row() == ("buy spam", "me", True)
        (failed,) = await store.messages.by_ids([spam])
        await store.history.delete([failed])
        assert await row() == ("hi", "bob", False)
        (first,) = [m for m in await store.messages.page(BOB) if m.seq == 1]
        await store.history.delete([first])
        assert await row() == ("", "", False)
    finally:
        await store.close()
