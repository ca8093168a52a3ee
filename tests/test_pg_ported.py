"""What PostgreSQL keeps of the parts the SQLite store gained later (its migrations 2
and 3): chatroom cloud history and settings, profiles with their readers, tags, customer
service records; and steps written in a message's own transaction, which commit with
it or not at all."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator

import asyncpg
import pytest

from imkit_tui.protocol import MessageRecord
from imkit_tui.protocol.media import MEDIA_SCHEME
from imkit_tui.server.chatrooms.naming import room_conv
from imkit_tui.server.pg import PostgresStore
from imkit_tui.server.pg.schema import MIGRATIONS, migrate
from imkit_tui.server.store_records import Member, NewMessage, private_key
from tests.services import fresh_schema_url


@pytest.fixture
async def two_nodes() -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    url = fresh_schema_url()
    first = await PostgresStore.open(url, migrate_schema=True)
    second = await PostgresStore.open(url, migrate_schema=True)
    yield first, second
    await first.close()
    await second.close()


def _said(room: str, seq: int, sent_at: int) -> MessageRecord:
    return MessageRecord(
        uid=f"u{seq}",
        conv=room_conv(room),
        seq=seq,
        sender="ann",
        object_name="RC:TxtMsg",
        content={"content": f"line {seq}"},
        cmid=f"c{seq}",
        sent_at=sent_at,
    )


async def test_chatroom_history_kept_by_a_node_is_read_by_another(
    two_nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = two_nodes
    for seq in range(1, 7):
        await first.chatrooms.append("lobby", _said("lobby", seq, 1000 * seq))
    await first.chatrooms.append("other", _said("other", 1, 1))
    rooms = second.chatrooms
    assert await rooms.last_seq("lobby") == 6 and await rooms.last_seq("none") == 0
    back = await rooms.page("lobby", after_seq=0, before_seq=5, limit=3, periods=None)
    assert [m.seq for m in back] == [4, 3, 2] and back[0] == _said("lobby", 4, 4000)
    forward = await rooms.page(
        "lobby", after_seq=1, before_seq=0, limit=10, periods=[(2, 3), (6, 0)]
    )
    assert [m.seq for m in forward] == [2, 3, 6]
    assert await rooms.page("lobby", after_seq=0, before_seq=0, limit=5, periods=[]) == []
    assert await rooms.find("lobby", "u2", 2000) == _said("lobby", 2, 2000)
    assert await rooms.find("lobby", "u2", 2001) is None  # sent before the reader came
    await second.chatrooms.remove("lobby", 2)
    assert await first.chatrooms.find("lobby", "u2", 0) is None
    assert await first.chatrooms.prune(3500) == 2 + 1  # seqs 1 and 3, and "other"'s
    left = await rooms.page("lobby", after_seq=0, before_seq=0, limit=10, periods=None)
    assert [m.seq for m in left] == [4, 5, 6]


async def test_chatroom_settings_saved_by_a_node_are_loaded_by_another(
    two_nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = two_nodes
    assert await second.chatroom_state.load() == {}
    await first.chatroom_state.save({"rooms": ["a"], "muted": {"bo": 5}})
    await first.chatroom_state.save({"rooms": ["a", "b"]})
    assert await second.chatroom_state.load() == {"rooms": ["a", "b"]}


async def test_profiles_contacts_tags_and_portraits(
    two_nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = two_nodes
    portrait = MEDIA_SCHEME + "ab" * 32
    await first.users.set_profile("ann", "Ann", portrait, 5)
    await first.users.set_profile("ben", "Ben", None, 6)
    assert await second.users.profiles(["ann", "ben", "zed"]) == {
        "ann": ("Ann", portrait, 5),
        "ben": ("Ben", "", 6),
    }
    assert await second.users.profiles([]) == {}
    assert await first.create_group("g", "team", "ann", ["ben", "cat"], 1)
    members = (Member("ann", "dan"), Member("dan", "ann"))
    await first.append(
        NewMessage(1, private_key("ann", "dan"), members, "ann", "m", "RC:TxtMsg", "{}", 2)
    )
    assert sorted(await second.users.contacts("ann")) == ["ben", "cat", "dan"]
    assert await second.users.contacts("dan") == ["ann"]
    await first.users.set_tags(["ben", "cat"], ["vip"])
    await first.users.set_tags(["ann"], ["new"])
    assert await second.users.tagged(["vip", "new"]) == ["ann", "ben", "cat"]
    assert await second.users.tagged(["none"]) == []
    # A portrait is readable by everyone and never garbage, as on SQLite.
    assert await second.files.may_read("zed", "ab" * 32, 10)
    assert await second.files.unreferenced(["ab" * 32, "cd" * 32], 10) == ["cd" * 32]


class _Step:
    """A step written in a message's transaction: a user row named after the message
    (or, with `fail`, an error after writing it)."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def on_sqlite(self, conn: sqlite3.Connection, conv_id: int, seq: int, sent_at: int) -> None:
        raise AssertionError("a PostgreSQL store called the SQLite half")

    async def on_postgres(
        self, conn: asyncpg.Connection, conv_id: int, seq: int, sent_at: int
    ) -> None:
        await conn.execute(
            "INSERT INTO users(id, created_at) VALUES ($1, $2)", f"step-{conv_id}-{seq}", sent_at
        )
        if self.fail:
            raise ValueError("the step failed")


async def test_steps_are_written_in_the_message_transaction_or_nothing_is(
    two_nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = two_nodes
    key = private_key("ann", "ben")
    members = (Member("ann", "ben"), Member("ben", "ann"))
    ok = await first.append(
        NewMessage(1, key, members, "ann", "m1", "RC:TxtMsg", "{}", 1, then=_Step())
    )
    conv_id = await second.conversation_id(key, "ann")
    assert ok.seq == 1 and conv_id is not None
    async with second._pool.acquire() as conn:
        assert (
            await conn.fetchval("SELECT created_at FROM users WHERE id = $1", f"step-{conv_id}-1")
            == ok.sent_at
        )
    failing = NewMessage(1, key, members, "ann", "m2", "RC:TxtMsg", "{}", 2, then=_Step(fail=True))
    with pytest.raises(ValueError, match="the step failed"):
        await first.append(failing)
    async with second._pool.acquire() as conn:
        assert (
            await conn.fetchval("SELECT count(*) FROM users WHERE id = $1", f"step-{conv_id}-2")
            == 0
        )
    # The failed message took no seq and is not stored; a retry of the first writes no step.
    assert await first.find_by_client_id("ann", "m2") is None
    again = await first.append(
        NewMessage(1, key, members, "ann", "m1", "RC:TxtMsg", "{}", 3, then=_Step(fail=True))
    )
    assert again.duplicate and again.seq == 1
    plain = await first.append(NewMessage(1, key, members, "ann", "m3", "RC:TxtMsg", "{}", 4))
    assert plain.seq == 2


async def test_a_schema_of_the_first_version_upgrades_keeping_its_rows() -> None:
    url = fresh_schema_url()
    conn = await asyncpg.connect(url)
    try:
        assert await migrate(conn, MIGRATIONS[:1]) == 1
        await conn.execute("INSERT INTO users(id, created_at) VALUES ('ann', 1)")
        await conn.execute(
            "INSERT INTO user_profiles(user_id, name, portrait, updated_at)"
            " VALUES ('ann', 'Ann', '', 1)"
        )
    finally:
        await conn.close()
    store = await PostgresStore.open(url, migrate_schema=True)
    try:
        assert await store.users.profiles(["ann"]) == {"ann": ("Ann", "", 1)}
        await store.chatroom_state.save({"kept": True})
        assert await store.chatroom_state.load() == {"kept": True}
    finally:
        await store.close()


async def test_customer_service_records_kept_by_a_node_are_read_by_another(
    two_nodes: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = two_nodes
    await first.customer_service.rate("s1", "ann", "kim", 5, "quick", 1)
    await first.customer_service.rate("s1", "ann", "kim", 1, "again", 2)  # once a session
    await second.customer_service.rate("s2", "ben", "lee", 3, "", 3)
    assert await first.customer_service.ratings() == [
        ("s1", "ann", "kim", 5, "quick"),
        ("s2", "ben", "lee", 3, ""),
    ]
    assert await second.customer_service.ratings("lee") == [("s2", "ben", "lee", 3, "")]
    await first.customer_service.leave("ann", {"text": "call me"}, 4)
    await second.customer_service.leave("ben", {"text": "晚上好"}, 5)
    assert await first.customer_service.left() == [
        ("ben", {"text": "晚上好"}, 5),
        ("ann", {"text": "call me"}, 4),
    ]
    wrote = NewMessage(5, "5:ann", (Member("ann", "cs"),), "ann", "m", "RC:TxtMsg", "{}", 6)
    await first.append(wrote)
    await second.customer_service.seat("ann", "kim", 7)
    await second.customer_service.seat("ann", "kim", 8)  # seated once
    assert await first.users.contacts("kim") == ["ann"]
