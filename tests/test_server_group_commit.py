"""Group commit on the server: the sends of one loop turn share one transaction, each
caller hears back only after it, seqs stay gapless, a retry in the same batch gets the
original, one failing message fails alone, and a killed server keeps every ack."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from imkit_tui.protocol import ConvRef, SendAck, SendMessage, decode_server_frame, encode
from imkit_tui.protocol.tokens import issue_token
from imkit_tui.server.auth import load_or_create_secret
from imkit_tui.server.store import Member, NewMessage, ServerStore, StoredMessage, private_key
from tests.processes import port_of, start_server, stored_rows
from tests.wire import WireClient

SQLITE_WRITER = pytest.mark.sqlite_only(reason="about the SQLite store's writer itself")


def _append(
    store: ServerStore, sender: str, peer: str, cmid: str, content: Any = '{"content":"hi"}'
) -> Any:
    return store.append(
        NewMessage(
            conv_type=1,
            conv_key=private_key(sender, peer),
            members=(Member(sender, peer), Member(peer, sender)),
            sender=sender,
            cmid=cmid,
            object_name="RC:TxtMsg",
            content_json=content,
            now_ms=1_000,
        )
    )


def _committed(path: Path, uid: str) -> bool:
    """Whether another connection sees message `uid` (it is committed)."""
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT 1 FROM messages WHERE uid = ?", (uid,)).fetchone() is not None


async def _open_traced(path: Path) -> tuple[ServerStore, list[str]]:
    store = await ServerStore.open(path)
    statements: list[str] = []
    store._db.run_now(lambda conn: conn.set_trace_callback(statements.append))
    return store, statements


@SQLITE_WRITER
async def test_sends_of_one_turn_share_one_commit_and_hear_back_after_it(tmp_path: Path) -> None:
    path = tmp_path / "server.db"
    store, statements = await _open_traced(path)
    seen_committed: list[bool] = []

    async def send(sender: str, index: int) -> StoredMessage:
        stored: StoredMessage = await _append(store, sender, "bob", f"{sender}-{index}")
        seen_committed.append(_committed(path, stored.uid))
        return stored

    try:
        # Created in one turn: every append is submitted before the writer wakes.
        results = await asyncio.gather(
            *(send(f"u{user}", index) for index in range(5) for user in range(10))
        )
        assert statements.count("COMMIT") == 1
        assert all(seen_committed) and len(seen_committed) == 50
        for user in range(10):
            seqs = [r.seq for r in results[user::10]]
            assert seqs == [1, 2, 3, 4, 5], "gapless, in submission order, per conversation"
    finally:
        await store.close()


@SQLITE_WRITER
async def test_a_lone_send_on_an_idle_writer_is_committed_without_waiting_a_turn(
    tmp_path: Path,
) -> None:
    path = tmp_path / "server.db"
    store, statements = await _open_traced(path)
    heard: list[tuple[StoredMessage | None, BaseException | None]] = []
    try:
        await _append(store, "alice", "bob", "first")  # the conversation exists
        for _ in range(3):
            await asyncio.sleep(0)  # nothing else is due on the loop
        commits = statements.count("COMMIT")
        store.append_then(
            NewMessage(
                conv_type=1,
                conv_key=private_key("alice", "bob"),
                members=(Member("alice", "bob"), Member("bob", "alice")),
                sender="alice",
                cmid="second",
                object_name="RC:TxtMsg",
                content_json='{"content":"hi"}',
                now_ms=1_000,
            ),
            lambda stored, error: heard.append((stored, error)),
        )
        # Heard back before append returned: committed here, in this turn, alone.
        assert len(heard) == 1 and heard[0][1] is None
        stored = heard[0][0]
        assert stored is not None and stored.seq == 2 and _committed(path, stored.uid)
        assert statements.count("COMMIT") == commits + 1
    finally:
        await store.close()


@SQLITE_WRITER
async def test_appends_of_one_step_after_one_made_at_once_share_the_next_commit(
    tmp_path: Path,
) -> None:
    path = tmp_path / "server.db"
    store, statements = await _open_traced(path)
    try:
        await _append(store, "alice", "bob", "first")
        for _ in range(3):
            await asyncio.sleep(0)
        commits = statements.count("COMMIT")
        # Ten appends from one step, nothing else on the loop: the first is committed
        # at once, the other nine wait for the writer and share one transaction.
        pending = [_append(store, "alice", "bob", f"m{i}") for i in range(10)]
        results = await asyncio.gather(*pending)
        assert statements.count("COMMIT") == commits + 2
        assert [r.seq for r in results] == list(range(2, 12))
    finally:
        await store.close()


@SQLITE_WRITER
async def test_a_retry_in_the_same_batch_gets_the_original(tmp_path: Path) -> None:
    store, statements = await _open_traced(tmp_path / "server.db")
    try:
        first, again, other = await asyncio.gather(
            _append(store, "alice", "bob", "same"),
            _append(store, "alice", "bob", "same"),
            _append(store, "alice", "bob", "next"),
        )
        assert statements.count("COMMIT") == 1
        assert not first.duplicate and again.duplicate
        assert (again.uid, again.seq, again.sent_at) == (first.uid, first.seq, first.sent_at)
        assert (first.seq, other.seq) == (1, 2)
        rows = await store._reader.fetch_all("SELECT seq, cmid FROM messages ORDER BY seq")
        assert rows == [(1, "same"), (2, "next")]
    finally:
        await store.close()


@SQLITE_WRITER
async def test_a_failing_message_fails_alone_and_its_batch_stays_gapless(tmp_path: Path) -> None:
    store, _ = await _open_traced(tmp_path / "server.db")
    try:
        results = await asyncio.gather(
            _append(store, "alice", "bob", "a1"),
            _append(store, "carol", "bob", "c1"),
            _append(store, "alice", "bob", "broken", content=None),  # NOT NULL content
            _append(store, "alice", "bob", "a2"),
            _append(store, "carol", "bob", "c2"),
            return_exceptions=True,
        )
        assert isinstance(results[2], Exception)
        assert [r.seq for r in (results[0], results[3])] == [1, 2]  # type: ignore[union-attr]
        assert [r.seq for r in (results[1], results[4])] == [1, 2]  # type: ignore[union-attr]
        later = await _append(store, "alice", "bob", "a3")
        assert later.seq == 3
        rows = await store._reader.fetch_all("SELECT cmid FROM messages ORDER BY conv_id, seq")
        assert [r[0] for r in rows] == ["a1", "a2", "a3", "c1", "c2"]
    finally:
        await store.close()


async def _until(done: Callable[[], bool]) -> None:
    """Poll `done` (acks are noted by the senders' tasks) for up to 30 seconds."""
    async with asyncio.timeout(30):
        while not done():  # noqa: ASYNC110 - the condition is a count, not an event
            await asyncio.sleep(0.005)


SENDERS = 8
PER_SENDER = 500


async def _pipeline(url: str, token: str, sender: int, acks: dict[str, SendAck]) -> None:
    """Send every message of `sender` without waiting, then read acks until the end."""
    client = await WireClient.login(url, token, device=f"d{sender}")
    try:
        for index in range(PER_SENDER):
            cmid = f"s{sender}-{index:04d}"
            if cmid in acks:
                continue
            frame = SendMessage(
                id=index + 10,
                conv=ConvRef.private("bob"),
                object_name="RC:TxtMsg",
                content={"content": cmid},
                cmid=cmid,
            )
            await client.ws.send(encode(frame), text=True)
        while sum(1 for c in acks if c.startswith(f"s{sender}-")) < PER_SENDER:
            raw = await asyncio.wait_for(client.ws.recv(), 10)
            frame = decode_server_frame(raw if isinstance(raw, bytes) else raw.encode())
            if isinstance(frame, SendAck):
                acks.setdefault(frame.cmid, frame)
    finally:
        await client.close()


async def test_a_killed_server_keeps_every_acked_message_once(tmp_path: Path) -> None:
    data = tmp_path / "server"
    server, url = start_server(data, 0, "--rate-limit", "100000")
    secret = load_or_create_secret(data)
    tokens = [issue_token(secret, f"u{i}") for i in range(SENDERS)]
    before: dict[str, SendAck] = {}
    try:
        senders = [
            asyncio.create_task(_pipeline(url, tokens[i], i, before)) for i in range(SENDERS)
        ]
        await _until(lambda: len(before) >= SENDERS * PER_SENDER // 20)
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        await asyncio.gather(*senders, return_exceptions=True)
        acked = dict(before)
        assert len(acked) < SENDERS * PER_SENDER, "every ack came before the kill"
        # The API port stays free-picked: port + 1 may be a client socket's port by now.
        server, _ = start_server(data, port_of(url), "--rate-limit", "100000", "--api-port", "0")
        # Every message sent again, the acked ones too (a client that missed the ack).
        after: dict[str, SendAck] = {}
        await asyncio.gather(*(_pipeline(url, tokens[i], i, after) for i in range(SENDERS)))
        for cmid, ack in acked.items():
            assert (after[cmid].uid, after[cmid].seq) == (ack.uid, ack.seq), cmid
        rows = stored_rows(data, "SELECT sender, seq, cmid FROM messages ORDER BY sender, seq")
        assert len(rows) == SENDERS * PER_SENDER, "nothing lost, nothing twice"
        for i in range(SENDERS):
            mine = [(seq, cmid) for sender, seq, cmid in rows if sender == f"u{i}"]
            assert mine == [(n + 1, f"s{i}-{n:04d}") for n in range(PER_SENDER)]
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(10)
