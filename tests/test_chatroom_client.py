"""`client.chatrooms` on the real server: join and leave, a room's messages held only
while joined and never in the list, the unread counts or search; left on disconnect and
joined again after the reconnect's login; members, attributes, the server's events."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from imkit_tui.core import IMClient, RequestFailed, SendStatus
from imkit_tui.core.events import Event, RoomChanged, RoomMessagesReceived
from imkit_tui.protocol import ErrorCode
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.chatrooms.settings import ChatroomSettings, PublicRoom
from tests.conftest import ClientFactory, ServerHandle, running_server, until_client

ROOM = "r1"


async def until_event(
    client: IMClient, check: Callable[[Event], bool], action: object = None, timeout: float = 10
) -> Event:
    """The first event of `client` for which `check` holds (subscribed before `action`
    runs, when given)."""
    with client.subscribe() as events:
        if action is not None:
            await action  # type: ignore[misc]
        async with asyncio.timeout(timeout):
            while True:
                event = await events.next()
                if check(event):
                    return event


async def held(client: IMClient, text: str, room: str = ROOM) -> None:
    """Wait until `client` holds a message of `room` saying `text`."""

    async def holds() -> bool:
        return text in texts(await client.chatrooms.messages(room))

    await until_client(client, holds)


def texts(messages: list[object]) -> list[str]:
    return [m.content.get("content", "") for m in messages]  # type: ignore[attr-defined]


def room_change(room: str, kind: str) -> Callable[[Event], bool]:
    return lambda e: isinstance(e, RoomChanged) and e.room == room and e.kind == kind


async def test_a_rooms_messages_are_held_while_joined_and_never_listed_or_searched(
    make_client: ClientFactory,
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    room = await alice.chatrooms.join(ROOM, name="Room one")
    assert (room.room, room.name, room.member_count) == (ROOM, "Room one", 1)
    assert (await bob.chatrooms.join(ROOM)).member_count == 2

    got = await until_event(
        bob,
        lambda e: isinstance(e, RoomMessagesReceived) and e.room == ROOM,
        alice.chatrooms.send_text(ROOM, "hello room"),
    )
    assert isinstance(got, RoomMessagesReceived)
    assert texts(list(got.messages)) == ["hello room"]
    sent = (await alice.chatrooms.messages(ROOM))[-1]
    assert sent.status == SendStatus.SENT and sent.seq is not None
    assert texts(await bob.chatrooms.messages(ROOM)) == ["hello room"]

    for client in (alice, bob):
        assert await client.conversations() == []
        assert await client.total_unread() == 0
        await client.store.search_index.flush()
        assert (await client.search.messages("hello")) == []

    await bob.chatrooms.leave(ROOM)
    assert await bob.chatrooms.messages(ROOM) == []
    assert await bob.store.chatrooms.count(ROOM) == 0
    assert not bob.chatrooms.is_joined(ROOM)
    with pytest.raises(ValueError):
        await alice.send_text(room_ref_of(ROOM), "not through the outbox")


def room_ref_of(room: str) -> object:
    from imkit_tui.core.chatroom_store import room_ref

    return room_ref(room)


async def test_a_join_brings_the_latest_messages_asked_for(make_client: ClientFactory) -> None:
    alice, carol = await make_client("alice"), await make_client("carol")
    await alice.chatrooms.join(ROOM)
    for n in range(5):
        await alice.chatrooms.send_text(ROOM, f"m{n}")
    await carol.chatrooms.join_existing(ROOM, recent=3)
    assert texts(await carol.chatrooms.messages(ROOM)) == ["m2", "m3", "m4"]
    with pytest.raises(RequestFailed) as refused:
        await carol.chatrooms.join_existing("nowhere")
    assert refused.value.code == ErrorCode.CHATROOM_NOT_FOUND
    assert carol.chatrooms.wanted == [ROOM]


async def test_the_room_is_left_on_disconnect_and_joined_again_after_the_login(
    make_client: ClientFactory, server_handle: ServerHandle
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await alice.chatrooms.join(ROOM)
    await bob.chatrooms.join(ROOM, recent=0)
    await alice.chatrooms.send_text(ROOM, "before")
    await held(bob, "before")
    with bob.subscribe() as events:
        await server_handle.stop()
        await server_handle.start()
        seen: list[str] = []
        async with asyncio.timeout(15):
            while "rejoined" not in seen:
                event = await events.next()
                if isinstance(event, RoomChanged) and event.room == ROOM:
                    seen.append(event.kind)
                    if event.kind == "disconnected":
                        assert await bob.store.chatrooms.count(ROOM) == 0
    assert seen[0] == "disconnected" and seen[-1] == "rejoined"
    assert bob.chatrooms.is_joined(ROOM)

    async def alice_back() -> bool:
        return alice.chatrooms.is_joined(ROOM)

    await until_client(alice, alice_back)
    got = await until_event(
        bob,
        lambda e: isinstance(e, RoomMessagesReceived) and "after" in texts(list(e.messages)),
        alice.chatrooms.send_text(ROOM, "after"),
    )
    assert isinstance(got, RoomMessagesReceived)
    assert "before" not in texts(await bob.chatrooms.messages(ROOM))


async def test_a_room_left_is_not_joined_again_after_a_reconnect(
    make_client: ClientFactory, server_handle: ServerHandle
) -> None:
    bob = await make_client("bob")
    await bob.chatrooms.join("gone")
    await bob.chatrooms.join(ROOM)
    await bob.chatrooms.leave("gone")
    await until_event(bob, room_change(ROOM, "rejoined"), _restart(server_handle))
    assert bob.chatrooms.joined == [ROOM]


async def _restart(handle: ServerHandle) -> None:
    await handle.stop()
    await handle.start()


async def test_members_by_join_time_and_the_exact_count(make_client: ClientFactory) -> None:
    users = [await make_client(u) for u in ("u1", "u2", "u3")]
    for client in users:
        await client.chatrooms.join(ROOM)
        await asyncio.sleep(0.002)
    room, members = await users[0].chatrooms.members(ROOM)
    assert room.member_count == 3 and [m.user for m in members] == ["u1", "u2", "u3"]
    _, latest = await users[0].chatrooms.members(ROOM, 2, latest_first=True)
    assert [m.user for m in latest] == ["u3", "u2"]
    assert (await users[1].chatrooms.info(ROOM)).member_count == 3


async def test_attributes_set_listed_removed_with_a_notice_each(
    make_client: ClientFactory,
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await alice.chatrooms.join(ROOM)
    await bob.chatrooms.join(ROOM)
    changed = await until_event(
        bob,
        room_change(ROOM, "attributes"),
        alice.chatrooms.set_attributes(ROOM, {"topic": "cats", "mood": "calm"}),
    )
    assert changed
    listed = {a.key: (a.value, a.setter) for a in await bob.chatrooms.attributes(ROOM)}
    assert listed == {"topic": ("cats", "alice"), "mood": ("calm", "alice")}
    with pytest.raises(RequestFailed) as refused:
        await bob.chatrooms.set_attributes(ROOM, {"topic": "dogs"})
    assert refused.value.code == ErrorCode.CHATROOM_KV_OVERWRITE_INVALID
    await alice.chatrooms.remove_attributes(ROOM, ["mood"])
    assert [a.key for a in await bob.chatrooms.attributes(ROOM)] == ["topic"]
    notices = [m for m in await bob.chatrooms.messages(ROOM) if m.object_name == "RC:chrmKVNotiMsg"]
    assert len(notices) >= 2


async def test_a_destroyed_room_ends_and_its_messages_go(
    make_client: ClientFactory, server_handle: ServerHandle
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    await alice.chatrooms.join(ROOM)
    await bob.chatrooms.join(ROOM)
    await until_event(
        bob,
        lambda e: isinstance(e, RoomMessagesReceived),
        alice.chatrooms.send_text(ROOM, "soon gone"),
    )
    server = server_handle.server
    assert server is not None
    ended = await until_event(
        bob,
        room_change(ROOM, "destroyed"),
        _now(lambda: server.chatrooms.service.destroy(ROOM, now_ms())),
    )
    assert isinstance(ended, RoomChanged) and ended.ended
    assert await bob.store.chatrooms.count(ROOM) == 0
    assert ROOM not in bob.chatrooms.wanted


async def test_a_ban_ends_the_room_and_the_rejoin_is_refused(
    make_client: ClientFactory, server_handle: ServerHandle
) -> None:
    bob = await make_client("bob")
    await bob.chatrooms.join(ROOM)
    server = server_handle.server
    assert server is not None
    banned = await until_event(
        bob,
        room_change(ROOM, "banned"),
        _now(lambda: server.chatrooms.service.ban(ROOM, ["bob"], 10, now_ms())),
    )
    assert isinstance(banned, RoomChanged) and banned.until > now_ms()
    assert not bob.chatrooms.is_joined(ROOM) and await bob.store.chatrooms.count(ROOM) == 0
    with pytest.raises(RequestFailed) as refused:
        await bob.chatrooms.join(ROOM)
    assert refused.value.code == ErrorCode.KICKED_FROM_CHATROOM


async def _now(fn: Callable[[], object]) -> None:
    fn()


async def test_the_public_rooms_are_listed(tmp_path: Path) -> None:
    settings = ChatroomSettings(public_rooms=(PublicRoom("lobby", "Lobby"),))
    async with running_server(tmp_path / "server", chatrooms=settings) as handle:
        client = IMClient(
            server_url=handle.url,
            token=handle.token("me"),
            store_path=tmp_path / "me.db",
        )
        async with client:
            await client.wait_synced(timeout=10)
            (lobby,) = await client.chatrooms.public()
            assert (lobby.room, lobby.name, lobby.member_count) == ("lobby", "Lobby", 0)


async def test_a_process_that_closes_leaves_the_users_other_device_in_the_room(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice = await make_client("alice")
    app, cli = await make_client("bob", "app"), await make_client("bob", "cli")
    await alice.chatrooms.join(ROOM)
    await app.chatrooms.join(ROOM)
    await cli.chatrooms.join(ROOM)
    await alice.chatrooms.send_text(ROOM, "to both")
    await held(cli, "to both")
    await cli.close()
    with sqlite3.connect(tmp_path / "clients" / "bob" / "cli" / "store.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM chatroom_messages").fetchone()[0] == 0
    await alice.chatrooms.send_text(ROOM, "still there?")
    await held(app, "still there?")
    _, members = await alice.chatrooms.members(ROOM)
    assert [m.user for m in members] == ["alice", "bob"]


async def test_older_pages_come_from_the_rooms_cloud_history_when_the_server_keeps_one(
    tmp_path: Path,
) -> None:
    async def seen_by_late_joiner(settings: ChatroomSettings, home: Path) -> list[str]:
        async with running_server(home / "server", chatrooms=settings) as handle:
            clients = [
                IMClient(server_url=handle.url, token=handle.token(u), store_path=home / u / "s.db")
                for u in ("alice", "bob")
            ]
            alice, bob = clients
            try:
                for client in clients:
                    await client.start()
                    await client.wait_synced(timeout=10)
                await alice.chatrooms.join(ROOM)
                for n in range(30):
                    await alice.chatrooms.send_text(ROOM, f"m{n}")
                await bob.chatrooms.join(ROOM, recent=5)
                held_now = await bob.chatrooms.messages(ROOM)
                assert texts(held_now) == [f"m{n}" for n in range(25, 30)]
                first = held_now[0].seq
                assert first is not None
                return texts(await bob.chatrooms.older(ROOM, first, 10))
            finally:
                for client in clients:
                    await client.close()

    kept = ChatroomSettings(history=True, history_all=True)
    assert await seen_by_late_joiner(kept, tmp_path / "kept") == [f"m{n}" for n in range(15, 25)]
    assert await seen_by_late_joiner(ChatroomSettings(), tmp_path / "off") == []
