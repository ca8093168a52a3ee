"""No cost that grows with a conversation's length on the server's per-message paths.

The same operations (send, push, pull forward and back, mark read, sync) run against a
conversation of 100 messages and one of 100,000, and the SQLite virtual-machine steps
they take (a progress handler called on every step, on both of the store's connections)
are compared: a statement that scans history would take a thousand times more.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

from imkit_tui.protocol import (
    ConversationUpdate,
    ConvRef,
    MarkRead,
    PullReply,
    PullRequest,
    SendAck,
    SyncReply,
    SyncRequest,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server import IMServer
from imkit_tui.server.floors import first_since
from imkit_tui.server.store import private_key
from tests.conftest import ServerHandle

SMALL, LARGE = 100, 100_000


def _seed(path: Path, total: int, key: str = private_key("alice", "bob")) -> None:
    """Grow conversation `key` (the alice–bob one) to `total` messages with batched
    inserts."""
    with sqlite3.connect(path) as conn:
        conv_id, max_seq = conn.execute(
            "SELECT id, max_seq FROM conversations WHERE key = ?", (key,)
        ).fetchone()
        start = now_ms() - total
        conn.executemany(
            "INSERT INTO messages(conv_id, seq, uid, sender, cmid, object_name, content, sent_at)"
            " VALUES (?, ?, ?, ?, ?, 'RC:TxtMsg', '{\"content\":\"seeded\"}', ?)",
            (
                (
                    conv_id,
                    seq,
                    f"seed-{seq:08d}",
                    "alice" if seq % 2 else "bob",
                    f"c{seq}",
                    start + seq,
                )
                for seq in range(max_seq + 1, total + 1)
            ),
        )
        conn.execute(
            "UPDATE conversations SET max_seq = ?, last_at = ? WHERE id = ?",
            (total, start + total, conv_id),
        )


class Steps:
    """Counts the VM steps of both store connections."""

    def __init__(self) -> None:
        self.count = 0

    def tick(self) -> int:
        self.count += 1
        return 0

    async def attach(self, server: IMServer) -> None:
        store = server.store
        assert store is not None
        store._db.run_now(lambda conn: conn.set_progress_handler(self.tick, 1))
        await store._reader.run(lambda conn: conn.set_progress_handler(self.tick, 1))

    async def of(self, operation: Callable[[], Awaitable[object]]) -> int:
        self.count = 0
        await operation()
        return self.count


async def _measure(tmp_path: Path, total: int) -> dict[str, int]:
    handle = ServerHandle(tmp_path / f"srv{total}", revocation_check_seconds=3600.0)
    await handle.start()
    alice = await handle.login("alice")
    assert isinstance(await alice.send_text("bob", "first", cmid="first"), SendAck)
    await alice.close()
    await handle.stop()
    _seed(handle.data_dir / "server.db", total)

    server = await handle.start()
    steps = Steps()
    alice, bob = await handle.login("alice"), await handle.login("bob")
    try:
        await alice.send_text("bob", "warm", cmid="warm")  # loads the conversation's cache
        await bob.next_push()
        await steps.attach(server)
        conv = ConvRef.private("alice")
        top = total + 1

        async def send() -> None:
            assert isinstance(await alice.send_text("bob", "hello", cmid="hello"), SendAck)
            await bob.next_push()

        async def request(frame: object, kind: type) -> None:
            assert isinstance(await bob.request(frame), kind)  # type: ignore[arg-type]

        async def pull_new() -> None:
            await request(PullRequest(conv=conv, after_seq=top - 5, limit=50), PullReply)

        async def pull_old() -> None:
            await request(PullRequest(conv=conv, before_seq=top, limit=50), PullReply)

        async def mark_read() -> None:
            await request(MarkRead(conv=conv, seq=top), ConversationUpdate)
            # The peer hears of it too (a read receipt): its state is read after the answer.
            while not isinstance(await alice.recv(), ConversationUpdate):
                pass

        async def sync() -> None:
            await request(SyncRequest(since=0), SyncReply)

        return {
            "send and push": await steps.of(send),
            "pull newest": await steps.of(pull_new),
            "pull a page back": await steps.of(pull_old),
            "mark read": await steps.of(mark_read),
            "sync": await steps.of(sync),
        }
    finally:
        await alice.close()
        await bob.close()
        await handle.stop()


async def test_per_message_paths_cost_the_same_at_100_and_100000_messages(
    tmp_path: Path,
) -> None:
    assert_same_cost(await _measure(tmp_path, SMALL), await _measure(tmp_path, LARGE))


def assert_same_cost(small: dict[str, int], large: dict[str, int]) -> None:
    """Each operation took about as many steps on the large history as on the small."""
    for operation, steps in small.items():
        assert steps > 0, f"{operation}: nothing measured"
        # B-tree depth adds nothing to VM steps; a scan of history adds ~100,000.
        assert large[operation] <= steps * 1.1 + 20, (operation, steps, large[operation])


async def test_the_floor_of_a_pull_is_the_first_message_not_older_than_the_window(
    tmp_path: Path,
) -> None:
    handle = ServerHandle(tmp_path / "srv", revocation_check_seconds=3600.0)
    await handle.start()
    alice = await handle.login("alice")
    assert isinstance(await alice.send_text("bob", "first", cmid="first"), SendAck)
    await alice.close()
    await handle.stop()
    path = handle.data_dir / "server.db"
    _seed(path, 1000)
    with sqlite3.connect(path) as conn:
        # Retention removed the oldest; several messages share a millisecond.
        conn.execute("DELETE FROM messages WHERE seq <= 100")
        conn.execute("UPDATE messages SET sent_at = 1000 + seq / 3 * 10")
        rows = conn.execute("SELECT seq, sent_at FROM messages ORDER BY seq").fetchall()
        (conv_id,) = conn.execute("SELECT conv_id FROM messages LIMIT 1").fetchone()
        for at in [0, 1000, 1333, 1334, 1335, 1340, 2000, 3000, 4330, 4331, 5000]:
            expected = next((seq for seq, sent_at in rows if sent_at >= at), None)
            assert first_since(conn, conv_id=conv_id, at=at) == expected, at


async def test_retention_finds_old_messages_along_their_uids(tmp_path: Path) -> None:
    from imkit_tui.server.store import Member, NewMessage, ServerStore

    path = tmp_path / "server.db"
    store = await ServerStore.open(path)
    statements: list[str] = []
    try:
        for index, at in enumerate((1_000, 1_999, 2_000, 3_000)):
            await store.append(
                NewMessage(
                    conv_type=1,
                    conv_key=private_key("alice", "bob"),
                    members=(Member("alice", "bob"), Member("bob", "alice")),
                    sender="alice",
                    cmid=f"m{index}",
                    object_name="RC:TxtMsg",
                    content_json='{"content":"hi"}',
                    now_ms=at,
                )
            )
        store._db.run_now(lambda conn: conn.set_trace_callback(statements.append))
        assert await store.prune(2_000) == 2  # sent before 2,000; not the one at it
        rows = await store._reader.fetch_all("SELECT seq FROM messages ORDER BY seq")
        assert [row[0] for row in rows] == [3, 4]
        (select,) = [s for s in statements if s.startswith("SELECT conv_id, seq FROM messages")]
        plan = store._db.run_now(
            lambda conn: conn.execute(f"EXPLAIN QUERY PLAN {select}").fetchall()
        )
        assert any("INDEX messages_uid" in str(step[3]) for step in plan), plan
    finally:
        await store.close()
