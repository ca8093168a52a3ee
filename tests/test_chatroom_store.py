"""The chatroom rooms' plan (sans I/O) and their messages in the local store: held per
room and per process, never in the conversation list, the unread counts or search, and
no per-message cost that grows with how many a room holds."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from imkit_tui import messages
from imkit_tui.core.chatroom_store import room_ref
from imkit_tui.core.engine.rooms import RoomPlan, Wanted
from imkit_tui.core.models import Direction, SendStatus
from imkit_tui.core.store import LocalStore
from imkit_tui.protocol import MessageRecord
from tests.step_counts import steps_of

ME = "me"
ROOM = "lobby"


def record(seq: int, sender: str = "bob", **fields: object) -> MessageRecord:
    values: dict[str, object] = {
        "uid": f"u{seq}",
        "conv": room_ref(ROOM),
        "seq": seq,
        "sender": sender,
        "object_name": messages.TEXT,
        "content": {"content": f"line {seq}"},
        "cmid": f"c{seq}",
        "sent_at": 1_000 + seq,
        **fields,
    }
    return MessageRecord(**values)  # type: ignore[arg-type]


# ---------------------------------------------------------------- the plan


def test_a_dropped_connection_leaves_every_room_and_the_next_login_joins_them_again() -> None:
    plan = RoomPlan()
    plan.want("a", 10)
    plan.want("b", 0, existing=True)
    assert plan.was_joined("a") and plan.was_joined("b")
    assert plan.disconnected() == ["a", "b"]
    assert plan.joined == [] and plan.wanted == ["a", "b"]
    assert plan.to_rejoin() == [Wanted("a", 10), Wanted("b", 0, existing=True)]
    assert plan.was_joined("a")
    assert plan.to_rejoin() == [Wanted("b", 0, existing=True)]


def test_a_room_left_or_ended_is_never_joined_again() -> None:
    plan = RoomPlan()
    for room in ("left", "kicked", "kept"):
        plan.want(room, 5)
        plan.was_joined(room)
    assert plan.drop("left") is True
    assert plan.ended("kicked") is True
    assert plan.ended("never-wanted") is False
    plan.disconnected()
    assert [w.room for w in plan.to_rejoin()] == ["kept"]


def test_an_answer_to_a_join_that_was_left_meanwhile_does_not_count() -> None:
    plan = RoomPlan()
    plan.want("a", 10)
    plan.drop("a")
    assert plan.was_joined("a") is False and plan.joined == []


# ---------------------------------------------------------------- the store


async def test_room_messages_are_held_apart_from_conversations(tmp_path: Path) -> None:
    store = await LocalStore.open(tmp_path / "s.db", ME)
    try:
        added = await store.chatrooms.add(ROOM, [record(1), record(2, content={"content": "找到"})])
        assert [m.seq for m in added] == [1, 2]
        assert [m.seq for m in await store.chatrooms.add(ROOM, [record(2), record(3)])] == [3]
        assert [m.seq for m in await store.chatrooms.page(ROOM)] == [1, 2, 3]
        assert [m.seq for m in await store.chatrooms.page(ROOM, before_seq=3, limit=1)] == [2]
        assert await store.conversations.page() == []
        assert await store.conversations.total_unread() == 0
        await store.search_index.flush()
        found = await store.read(
            lambda conn: conn.execute("SELECT COUNT(*) FROM message_search").fetchone()[0]
        )
        assert found == 0
        assert await store.chatrooms.clear(ROOM) == 3
        assert await store.chatrooms.page(ROOM) == []
    finally:
        await store.close()


async def test_an_own_message_is_confirmed_once_by_its_ack_or_its_echo(tmp_path: Path) -> None:
    store = await LocalStore.open(tmp_path / "s.db", ME)
    try:
        sending = await store.chatrooms.add_own(ROOM, "mine", messages.TEXT, {"content": "x"}, 5)
        assert sending.status == SendStatus.SENDING and sending.seq is None
        assert [m.id for m in await store.chatrooms.page(ROOM)] == [sending.id]
        echo = record(7, sender=ME, cmid="mine", uid="u-mine")
        assert await store.chatrooms.add(ROOM, [echo]) == []  # confirmed, not added
        (held,) = await store.chatrooms.page(ROOM)
        assert (held.id, held.seq, held.status, held.direction) == (
            sending.id,
            7,
            SendStatus.SENT,
            Direction.SENT,
        )
        dropped = await store.chatrooms.add_own(ROOM, "busy", messages.TEXT, {"content": "y"}, 6)
        failed = await store.chatrooms.failed(dropped.id, 90020)
        assert failed is not None and failed.status == SendStatus.FAILED and failed.error == 90020
    finally:
        await store.close()


async def test_rows_of_a_process_that_is_gone_are_deleted_when_a_store_opens(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.db"
    store = await LocalStore.open(path, ME)
    await store.chatrooms.add(ROOM, [record(1)])
    await store.close()
    with sqlite3.connect(path) as conn:  # another process of this user, still running
        conn.execute("UPDATE chatroom_messages SET holder = ?", (f"{os.getppid()}:alive",))
        conn.execute(
            "INSERT INTO chatroom_messages(holder, room, seq, uid, cmid, sender, direction,"
            " status, object_name, content, sent_at)"
            " SELECT '999999999:gone', room, seq, uid, cmid, sender, direction, status,"
            " object_name, content, sent_at FROM chatroom_messages"
        )
    store = await LocalStore.open(path, ME)
    try:
        holders = await store.read(
            lambda conn: [r[0] for r in conn.execute("SELECT holder FROM chatroom_messages")]
        )
        assert holders == [f"{os.getppid()}:alive"]
        assert await store.chatrooms.page(ROOM) == []  # not this process's room
    finally:
        await store.close()


# ---------------------------------------------------------------- cost


SHORT, LONG = 100, 100_000


async def test_a_failed_message_keeps_its_place_in_the_room(tmp_path: Path) -> None:
    """Dropped by a busy room (90020) while line 2 came in: it stays after line 1, where
    it was written, not below every line that comes later."""
    store = await LocalStore.open(tmp_path / "me.db", ME)
    try:
        await store.chatrooms.add(ROOM, [record(1)])
        mine = await store.chatrooms.add_own(ROOM, "m1", messages.TEXT, {"content": "mine"}, 5)
        await store.chatrooms.add(ROOM, [record(2)])
        failed = await store.chatrooms.failed(mine.id, 90020)
        assert failed is not None and failed.place_seq == 1
        await store.chatrooms.add(ROOM, [record(3)])
        sending = await store.chatrooms.add_own(ROOM, "m2", messages.TEXT, {"content": "on"}, 6)

        async def texts(**page: int) -> list[str]:
            return [m.content["content"] for m in await store.chatrooms.page(ROOM, **page)]

        assert await texts() == ["line 1", "mine", "line 2", "line 3", "on"]
        assert await texts(limit=2) == ["line 2", "line 3", "on"]
        assert await texts(before_seq=2, limit=1) == ["line 1", "mine"]
        assert sending.place_seq is None
    finally:
        await store.close()


async def _room_steps(tmp_path: Path, count: int) -> dict[str, int]:
    """VM steps of each per-message operation on a room holding `count` messages."""
    store = await LocalStore.open(tmp_path / f"{count}.db", ME)
    holder = store.claims.owner
    with sqlite3.connect(tmp_path / f"{count}.db") as conn:
        conn.executemany(
            "INSERT INTO chatroom_messages(holder, room, seq, uid, cmid, sender, direction,"
            " status, object_name, content, sent_at) VALUES (?, ?, ?, ?, ?, ?, 0, 3, ?, ?, ?)",
            (
                (holder, ROOM, s, f"u{s}", f"c{s}", "bob", messages.TEXT, '{"content":"x"}', s)
                for s in range(1, count + 1)
            ),
        )
    seq = count + 1
    operations = {
        "a burst of pushes": lambda: store.chatrooms.add(ROOM, [record(seq), record(seq + 1)]),
        "send": lambda: store.chatrooms.add_own(ROOM, "own", messages.TEXT, {"content": "x"}, 9),
        "its ack": lambda: store.chatrooms.confirm(
            ROOM, record(seq + 2, sender=ME, cmid="own", uid="own-u")
        ),
        "its echo": lambda: store.chatrooms.add(
            ROOM, [record(seq + 2, sender=ME, cmid="own", uid="own-u")]
        ),
        "a send dropped": lambda: _dropped(store),
        "the newest page": lambda: store.chatrooms.page(ROOM, limit=50),
        "an older page": lambda: store.chatrooms.page(ROOM, before_seq=seq - 50, limit=50),
    }
    return await steps_of(store, operations)


async def _dropped(store: LocalStore) -> None:
    """A send the busy room dropped: it takes its place after the newest line held."""
    mine = await store.chatrooms.add_own(ROOM, "dropped", messages.TEXT, {"content": "x"}, 9)
    await store.chatrooms.failed(mine.id, 90020)


async def test_no_per_message_room_operation_grows_with_what_the_room_holds(
    tmp_path: Path,
) -> None:
    short = await _room_steps(tmp_path, SHORT)
    long = await _room_steps(tmp_path, LONG)
    grown = {n: (short[n], long[n]) for n in short if long[n] > 2 * short[n] + 100}
    assert not grown, f"VM steps at {SHORT} vs {LONG} room messages: {grown}"
