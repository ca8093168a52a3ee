"""No work that grows with a conversation's length on the client's per-message paths.

The same store operations run on a conversation of 100 messages and of 100,000, and
the SQLite virtual-machine steps each one takes (sqlite3's progress handler, on both of
the store's connections) are compared: a statement that reads the history (a scan of
the conversation's messages) takes ~1,000 times more steps on the long one, while a
keyed lookup takes the same. Deterministic, unlike a timing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

from imkit_tui import messages
from imkit_tui.core.models import Direction, SendStatus
from imkit_tui.core.receipts import ANSWERED, ASKED
from imkit_tui.core.received_store import Coverage
from imkit_tui.core.store import LocalStore
from imkit_tui.protocol import ConversationState, ConversationType, ConvRef, MessageRecord
from imkit_tui.protocol.clock import now_ms
from tests.step_counts import steps_of

ME = "me"
PEER = "peer"
CHAT = ConvRef.private(PEER)
GROUP = ConvRef(type=ConversationType.GROUP, target="g1")
SHORT, LONG = 100, 100_000
SEED_BATCH = 10_000


def _seed(path: Path, conv_id: int, conv: ConvRef, count: int, start_at: int) -> None:
    """Store `count` messages of `conv` directly (batched inserts), all read: every
    tenth a receipt request answered long ago, every fifth one of ours that asked for
    receipts, as a long-used conversation has them."""
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO conversations(id, type, target, channel, synced_seq, floor_seq,"
            " max_seq, read_seq, last_seq, last_at, sort_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?,"
            " ?, ?)",
            (
                conv_id,
                conv.type,
                conv.target,
                conv.channel,
                count,
                count,
                count,
                count,
                *[start_at + count] * 2,
            ),
        )
        for first in range(1, count + 1, SEED_BATCH):
            rows = []
            for seq in range(first, min(first + SEED_BATCH, count + 1)):
                own = seq % 5 == 0
                rows.append(
                    (
                        conv_id,
                        seq,
                        f"{conv.target}-u{seq}",
                        f"{conv.target}-c{seq}",
                        ME if own else PEER,
                        Direction.SENT if own else Direction.RECEIVED,
                        SendStatus.SENT if own else SendStatus.RECEIVED,
                        0 if own else 1,
                        messages.TEXT,
                        f'{{"content":"message {seq}"}}',
                        start_at + seq,
                        ASKED if own else (ANSWERED if seq % 10 == 1 else 0),
                    )
                )
            conn.executemany(
                "INSERT INTO messages(conv_id, seq, uid, cmid, sender, direction, status,"
                " counted, object_name, content, sent_at, receipt)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        # Indexed long ago: the index's own cost is a per-batch one, measured below.
        conn.execute(
            "UPDATE meta SET value = (SELECT MAX(id) FROM messages) WHERE key = 'search_head'"
        )


def _record(conv: ConvRef, seq: int, at: int, **fields: object) -> MessageRecord:
    values: dict[str, object] = {
        "uid": f"{conv.target}-u{seq}",
        "conv": conv,
        "seq": seq,
        "sender": PEER,
        "object_name": messages.TEXT,
        "content": {"content": f"new {seq}"},
        "cmid": f"{conv.target}-c{seq}",
        "sent_at": at,
        **fields,
    }
    return MessageRecord(**values)  # type: ignore[arg-type]


Operation = Callable[[LocalStore], Awaitable[object]]


def _operations(count: int) -> dict[str, Operation]:
    """Every store operation on a per-message path, as it runs on a chat of `count`."""
    at = now_ms()
    seq = count + 1

    async def receive(store: LocalStore) -> None:
        cover = Coverage(seq, 1, seq)
        await store.messages.add_received(CHAT, [_record(CHAT, seq, at)], cover)

    async def receive_group(store: LocalStore) -> None:
        mention = {"content": "hi @me", "mentionedInfo": {"type": 2, "userIdList": [ME]}}
        record = _record(GROUP, seq, at, content=mention)
        await store.messages.add_received(GROUP, [record], Coverage(seq, 1, seq))

    async def command(store: LocalStore, object_name: str, step: int) -> None:
        """A command about the message just received (a receipt request, a recall)."""
        about = {"messageUId": f"{PEER}-u{seq}"}
        record = _record(CHAT, seq + step, at + step, object_name=object_name, content=about)
        await store.messages.add_received(CHAT, [record], Coverage(seq + step, 1, seq + step))

    async def open_chat(store: LocalStore) -> None:
        await store.messages.page(CHAT, limit=50)
        await store.state.mark_read(CHAT)

    async def send_and_ack(store: LocalStore) -> None:
        queued = await store.outbox.add(CHAT, "own-new", messages.TEXT, {"content": "x"}, at)
        await store.claims.next(at)
        await store.outbox.mark_sent(queued.id, seq + 3, "own-new-uid", at + 3)

    async def send_and_ack_replaced(store: LocalStore) -> None:
        """The server replaced a word: the ack brings the content, and the list row's
        preview follows it unless a later message is shown."""
        queued = await store.outbox.add(CHAT, "own-masked", messages.TEXT, {"content": "y"}, at)
        await store.claims.next(at)
        masked = {"content": "*"}
        await store.outbox.mark_sent(queued.id, seq + 5, "own-masked-uid", at + 5, content=masked)

    async def send_refused(store: LocalStore) -> None:
        """A send refused (21501): it takes its place after the newest stored message
        written before it, and the chat's newest page shows it there."""
        queued = await store.outbox.add(CHAT, "own-refused", messages.TEXT, {"content": "z"}, at)
        await store.claims.next(at)
        await store.outbox.mark_failed(queued.id, 21501)
        await store.messages.page(CHAT, limit=50)
        await store.conversations.get(CHAT)  # its row says so

    async def delete_newest(store: LocalStore) -> None:
        """The message the list row shows deleted here, then the stored one now shown
        deleted on another device: each time the row shows the one before."""
        (newest,) = (await store.messages.page(CHAT, limit=1))[-1:]
        await store.history.delete([newest])
        await store.history.delete_seqs(CHAT, [seq])

    async def retry_then_delete(store: LocalStore) -> None:
        """A refused send tried again, refused again, then deleted: its list row's
        failed mark comes, goes and comes, then goes with it."""
        queued = await store.outbox.add(CHAT, "own-retried", messages.TEXT, {"content": "r"}, at)
        await store.claims.next(at)
        await store.outbox.mark_failed(queued.id, 21501)
        await store.outbox.requeue(queued.id, at)
        failed = await store.outbox.mark_failed(queued.id, 21501)
        assert failed is not None
        await store.history.delete([failed])

    async def queue_again(store: LocalStore) -> None:
        """The same client id queued again (a retried command): the stored row is found
        by (sender, cmid), through the index of this user's own messages."""
        await store.outbox.add(CHAT, "own-new", messages.TEXT, {"content": "x"}, at)

    async def own_record_back(store: LocalStore) -> None:
        """A message of ours still in the outbox comes back from the server (its ack was
        lost): confirmed by (sender, cmid), not stored twice."""
        await store.outbox.add(CHAT, "own-lost", messages.TEXT, {"content": "y"}, at)
        record = _record(CHAT, seq + 4, at + 4, sender=ME, cmid="own-lost", uid="own-lost-u")
        await store.messages.add_received(CHAT, [record], Coverage(seq + 4, 1, seq + 4))

    async def read_elsewhere(store: LocalStore) -> None:
        state = ConversationState(conv=CHAT, max_seq=seq + 3, last_at=at, read_seq=seq + 3)
        await store.state.apply_state(state)

    async def state_loop(store: LocalStore) -> None:
        await store.state.pending_reads()
        await store.receipts.pending()
        await store.outbox.pending()

    async def tracker(store: LocalStore) -> None:
        cover = await store.messages.coverage(CHAT)
        await store.messages.written_elsewhere(CHAT, cover.synced_seq)

    async def list_row(store: LocalStore) -> None:
        await store.conversations.get(CHAT)
        await store.conversations.page(limit=50)
        await store.conversations.total_unread()

    async def index(store: LocalStore) -> None:
        await store.search_index.flush()

    return {
        "receive a message": receive,
        "receive a group message that mentions me": receive_group,
        "receive a read receipt request": lambda s: command(s, messages.READ_RECEIPT_REQUEST, 1),
        "receive a recall": lambda s: command(s, messages.RECALL, 2),
        "open the chat and mark it read": open_chat,
        "send and ack": send_and_ack,
        "send, and ack with a replaced content": send_and_ack_replaced,
        "a send refused keeps its place": send_refused,
        "a refused send retried, refused and deleted": retry_then_delete,
        "queue the same client id again": queue_again,
        "an own message whose ack was lost comes back": own_record_back,
        "read on another device": read_elsewhere,
        "pending reads, receipts and outbox": state_loop,
        "load the seq tracker": tracker,
        "conversation row and unread counts": list_row,
        "index the new messages for search": index,
        "delete what the list row shows": delete_newest,
    }


async def _steps(tmp_path: Path, count: int) -> dict[str, int]:
    """VM steps of each operation on a store whose two chats hold `count` messages."""
    path = tmp_path / f"{count}.db"
    store = await LocalStore.open(path, ME)
    await store.close()
    _seed(path, 1, CHAT, count, 1_000)
    _seed(path, 2, GROUP, count, 1_000)
    store = await LocalStore.open(path, ME)
    await store.search_index.stop()  # indexed below, at a known moment
    return await steps_of(store, {n: partial(op, store) for n, op in _operations(count).items()})


async def test_no_per_message_operation_grows_with_the_conversation(tmp_path: Path) -> None:
    short = await _steps(tmp_path, SHORT)
    long = await _steps(tmp_path, LONG)
    # Same statements, keyed lookups: a B-tree one level deeper costs no more VM steps;
    # a scan of the conversation would cost ~1,000x.
    grown = {
        name: (short[name], long[name]) for name in short if long[name] > 2 * short[name] + 100
    }
    assert not grown, f"VM steps at {SHORT} vs {LONG} messages: {grown}"


async def test_the_search_index_is_built_off_the_event_loop(tmp_path: Path) -> None:
    path = tmp_path / "backlog.db"
    store = await LocalStore.open(path, ME)
    await store.close()
    _seed(path, 1, CHAT, 3_000, 1_000)
    with sqlite3.connect(path) as conn:  # above the indexer's head, as if just stored
        conn.execute("UPDATE meta SET value = '0' WHERE key = 'search_head'")
    store = await LocalStore.open(path, ME)
    on_loop = in_indexer = 0

    def loop_tick() -> int:
        nonlocal on_loop
        on_loop += 1
        return 0

    def indexer_tick() -> int:
        nonlocal in_indexer
        in_indexer += 1
        return 0

    try:
        await store.count_steps(loop_tick, every=100)
        await store.search_index.count_steps(indexer_tick, every=100)
        await store.search_index.wait_drained()
        assert await store.search_index.backlog() == 0
        # The writer's connection (the loop's) and the reader's did next to nothing.
        assert in_indexer > 1_000 and on_loop < 50, (in_indexer, on_loop)
    finally:
        await store.count_steps(None)
        await store.close()
