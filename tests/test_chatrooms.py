"""Chatrooms on the real server, over raw frames, with a fake clock for what time does:
online-only delivery, auto-exit, bans and mutes that end, attributes, destroy,
keep-alive, priorities under load, distribution, recall and cloud history."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from imkit_tui import messages
from imkit_tui.protocol import (
    KV_NOTICE,
    AttrSet,
    ChatroomAttrs,
    ChatroomAttrState,
    ChatroomDirectory,
    ChatroomEvent,
    ChatroomInfo,
    ChatroomJoin,
    ChatroomJoined,
    ChatroomLeave,
    ChatroomList,
    ChatroomQuery,
    ConvRef,
    ErrorCode,
    ErrorFrame,
    PullReply,
    PullRequest,
    Push,
    Recall,
    SendAck,
    SendMessage,
    ServerFrame,
    SyncReply,
    SyncRequest,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.chatrooms.auto_exit import AutoExitRule
from imkit_tui.server.chatrooms.live import ChatroomLive
from imkit_tui.server.chatrooms.settings import ChatroomSettings, PublicRoom
from tests.conftest import ServerHandle, running_server
from tests.wire import WireClient

ROOM = "live"
CONV = ConvRef(type=4, target=ROOM)


class FakeClock:
    """Milliseconds that move only when a test moves them."""

    def __init__(self) -> None:
        self.now = now_ms()

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * 1000)


@asynccontextmanager
async def rooms_server(
    tmp_path: Path, **settings: Any
) -> AsyncIterator[tuple[ServerHandle, ChatroomLive, FakeClock]]:
    """A server whose chatrooms run on a fake clock (`settings`: ChatroomSettings)."""
    config = ChatroomSettings(sweep_seconds=3600.0, **settings)
    async with running_server(tmp_path / "server", chatrooms=config) as handle:
        assert handle.server is not None
        live = handle.server.chatrooms
        clock = FakeClock()
        live.clock = clock
        yield handle, live, clock


async def join(client: WireClient, room: str = ROOM, **fields: Any) -> ChatroomJoined:
    answer = await client.request(ChatroomJoin(room=room, **fields))
    assert isinstance(answer, ChatroomJoined), answer
    return answer


def text(cmid: str, body: str = "", object_name: str = messages.TEXT) -> SendMessage:
    return SendMessage(
        conv=CONV, object_name=object_name, content={"content": body or cmid}, cmid=cmid
    )


async def pair(handle: ServerHandle) -> tuple[WireClient, WireClient]:
    """Alice and Bob, online, both in the room."""
    alice, bob = await handle.login("alice"), await handle.login("bob")
    await join(alice)
    await join(bob)
    return alice, bob


async def members(client: WireClient, room: str = ROOM, order: str = "asc") -> list[str]:
    info = await client.request(ChatroomQuery(room=room, members=500, order=order))  # type: ignore[arg-type]
    assert isinstance(info, ChatroomInfo), info
    assert info.info.member_count == len(info.members)
    return [m.user for m in info.members]


async def quiet(client: WireClient, seconds: float = 0.2) -> list[ServerFrame]:
    """Whatever reaches `client` within `seconds`."""
    got: list[ServerFrame] = []
    try:
        while True:
            got.append(await client.recv(timeout=seconds))
    except TimeoutError:
        return got


async def test_only_members_online_receive_and_nothing_waits_for_the_offline(
    tmp_path: Path,
) -> None:
    async with rooms_server(tmp_path) as (handle, _live, _clock):
        alice = await handle.login("alice")
        bob = await handle.login("bob")
        carol = await handle.login("carol")
        for client in (alice, bob, carol):
            await join(client)
        await carol.close()
        for i in range(3):
            assert isinstance(await alice.request(text(f"m{i}")), SendAck)
        assert [(await bob.next_push()).message.content["content"] for _ in range(3)] == [
            "m0",
            "m1",
            "m2",
        ]
        carol = await handle.login("carol")
        synced = await carol.request(SyncRequest())
        assert isinstance(synced, SyncReply)
        assert all(c.conv.type != 4 for c in synced.conversations)
        assert [f for f in await quiet(carol) if isinstance(f, Push)] == []
        assert isinstance(await alice.request(text("after")), SendAck)
        assert (await carol.next_push()).message.content["content"] == "after"
        for client in (alice, bob, carol):
            await client.close()


async def test_an_offline_member_leaves_30_seconds_after_the_first_new_message(
    tmp_path: Path,
) -> None:
    async with rooms_server(tmp_path) as (handle, live, clock):
        alice, bob = await pair(handle)
        await bob.close()
        await asyncio.sleep(0.1)  # the server sees the connection end
        clock.advance(600)  # no message yet: nothing counts
        live.sweep()
        assert await members(alice) == ["alice", "bob"]
        assert isinstance(await alice.request(text("one")), SendAck)
        clock.advance(29.9)
        live.sweep()
        assert "bob" in await members(alice)
        clock.advance(0.1)
        live.sweep()
        assert await members(alice) == ["alice"]
        await alice.close()


async def test_an_offline_member_leaves_once_30_new_messages_arrived(tmp_path: Path) -> None:
    async with rooms_server(tmp_path) as (handle, live, _clock):
        alice = await handle.login("alice")
        bob = await handle.login("bob")
        carol = await handle.login("carol")
        for client in (alice, bob, carol):
            await join(client)
        live.service.policy.allow_users(ROOM, ["carol"])  # whitelisted: never auto-exits
        await bob.close()
        await carol.close()
        await asyncio.sleep(0.1)
        for i in range(29):
            assert isinstance(await alice.request(text(f"m{i}")), SendAck)
        assert await members(alice) == ["alice", "bob", "carol"]
        assert isinstance(await alice.request(text("m29")), SendAck)
        assert await members(alice) == ["alice", "carol"]
        await alice.close()


async def test_coming_back_online_keeps_the_member_in(tmp_path: Path) -> None:
    async with rooms_server(tmp_path) as (handle, live, clock):
        alice, bob = await pair(handle)
        await bob.close()
        await asyncio.sleep(0.1)
        for i in range(10):
            assert isinstance(await alice.request(text(f"m{i}")), SendAck)
        bob = await handle.login("bob")
        clock.advance(60)
        live.sweep()
        for i in range(40):
            assert isinstance(await alice.request(text(f"n{i}")), SendAck)
        assert await members(alice) == ["alice", "bob"]
        await alice.close()
        await bob.close()


async def test_a_ban_keeps_out_until_it_ends_and_a_mute_lifts_by_itself(tmp_path: Path) -> None:
    async with rooms_server(tmp_path) as (handle, live, clock):
        alice, bob = await pair(handle)
        live.service.ban(ROOM, ["bob"], 5, clock())
        event = await bob.recv()
        assert isinstance(event, ChatroomEvent) and event.kind == "banned"
        assert event.until == clock() + 5 * 60_000
        refused = await bob.request(ChatroomJoin(room=ROOM))
        assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.KICKED_FROM_CHATROOM
        clock.advance(5 * 60)
        live.sweep()
        await join(bob)

        live.service.gag(ROOM, ["bob"], 2, clock())
        muted = await bob.recv()
        assert isinstance(muted, ChatroomEvent) and muted.kind == "muted"
        refused = await bob.request(text("hush"))
        assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.MUTED_IN_CHATROOM
        clock.advance(120)
        live.sweep()
        lifted = await bob.recv()
        assert isinstance(lifted, ChatroomEvent) and lifted.kind == "unmuted"
        assert isinstance(await bob.request(text("free")), SendAck)

        live.service.mute_everywhere(["bob"], 1, clock())
        refused = await bob.request(text("hush again"))
        assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.MUTED_IN_CHATROOM
        live.service.mute_room(ROOM, 0, clock())
        live.service.unmute_everywhere(["bob"])
        refused = await bob.request(text("the room is muted"))
        assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.MUTED_IN_CHATROOM
        live.service.policy.allow_users(ROOM, ["bob"])
        assert isinstance(await bob.request(text("whitelisted speak")), SendAck)
        await alice.close()
        await bob.close()


async def test_attributes_are_limited_ruled_and_each_change_is_a_notice(tmp_path: Path) -> None:
    async with rooms_server(tmp_path) as (handle, _live, _clock):
        alice, bob = await pair(handle)
        entries = [AttrSet(key=f"k{i}", value=str(i)) for i in range(100)]
        state = await alice.request(ChatroomAttrs(room=ROOM, op="set", set=entries))
        assert isinstance(state, ChatroomAttrState) and len(state.attrs) == 100
        notices = [await bob.next_push() for _ in range(100)]
        assert {n.message.object_name for n in notices} == {KV_NOTICE}
        assert notices[0].message.content == {"type": 1, "key": "k0", "value": "0", "extra": ""}
        assert notices[0].message.sender == "alice"

        over = await alice.request(
            ChatroomAttrs(room=ROOM, op="set", set=[AttrSet(key="one-more", value="x")])
        )
        assert isinstance(over, ErrorFrame) and over.code == ErrorCode.CHATROOM_KV_EXCEED
        theirs = await bob.request(
            ChatroomAttrs(room=ROOM, op="set", set=[AttrSet(key="k1", value="mine")])
        )
        assert isinstance(theirs, ErrorFrame)
        assert theirs.code == ErrorCode.CHATROOM_KV_OVERWRITE_INVALID
        forced = await bob.request(
            ChatroomAttrs(room=ROOM, op="set", set=[AttrSet(key="k1", value="b", overwrite=True)])
        )
        assert isinstance(forced, ChatroomAttrState) and forced.attrs[0].setter == "bob"
        missing = await alice.request(ChatroomAttrs(room=ROOM, op="remove", keys=["nope"]))
        assert isinstance(missing, ErrorFrame)
        assert missing.code == ErrorCode.CHATROOM_KV_KEY_NOT_FOUND
        assert isinstance(
            await alice.request(ChatroomAttrs(room=ROOM, op="remove", keys=["k2", "k3"])),
            ChatroomAttrState,
        )
        bob_sees = [f for f in await quiet(bob) if isinstance(f, Push)]
        assert [(p.message.content["type"], p.message.content["key"]) for p in bob_sees] == [
            (2, "k2"),
            (2, "k3"),
        ]

        # autoDelete: bob's key goes when bob leaves, with a notice
        assert isinstance(
            await bob.request(ChatroomAttrs(room=ROOM, op="remove", keys=["k1"])),
            ChatroomAttrState,
        )
        assert isinstance(
            await bob.request(
                ChatroomAttrs(
                    room=ROOM, op="set", set=[AttrSet(key="seat", value="3", auto_delete=True)]
                )
            ),
            ChatroomAttrState,
        )
        assert isinstance(await bob.request(ChatroomLeave(room=ROOM)), ChatroomInfo)
        seen = [f for f in await quiet(alice) if isinstance(f, Push)]
        assert seen[-1].message.content == {"type": 2, "key": "seat", "value": "3", "extra": ""}
        listed = await alice.request(ChatroomAttrs(room=ROOM, op="list"))
        assert isinstance(listed, ChatroomAttrState)
        keys = {a.key for a in listed.attrs}
        assert "seat" not in keys and "k1" not in keys and len(keys) == 97
        await alice.close()
        await bob.close()


async def test_a_destroyed_room_reaches_nobody(tmp_path: Path) -> None:
    async with rooms_server(tmp_path) as (handle, live, clock):
        alice, bob = await pair(handle)
        assert live.service.destroy(ROOM, clock())
        event = await bob.recv()
        assert isinstance(event, ChatroomEvent) and event.kind == "destroyed"
        refused = await alice.request(text("anyone?"))
        assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.CHATROOM_NOT_FOUND
        assert await quiet(bob) == []
        gone = await bob.request(ChatroomJoin(room=ROOM, create=False))
        assert isinstance(gone, ErrorFrame) and gone.code == ErrorCode.CHATROOM_NOT_FOUND
        await alice.close()
        await bob.close()


async def test_idle_rooms_are_destroyed_and_kept_alive_ones_stay(tmp_path: Path) -> None:
    async with rooms_server(tmp_path, idle_destroy_seconds=60) as (handle, live, clock):
        alice = await handle.login("alice")
        await join(alice, "kept")
        await join(alice, "idle")
        live.service.keepalive.add("kept")
        for room in ("kept", "idle"):
            assert isinstance(await alice.request(ChatroomLeave(room=room)), ChatroomInfo)
        clock.advance(59)
        live.sweep()
        assert set(live.service.rooms) == {"kept", "idle"}
        clock.advance(1)
        live.sweep()
        assert set(live.service.rooms) == {"kept"}
        await alice.close()


async def test_members_are_listed_by_join_time_either_way(tmp_path: Path) -> None:
    async with rooms_server(tmp_path) as (handle, _live, clock):
        users = ["u1", "u2", "u3", "u4"]
        clients = []
        for user in users:
            client = await handle.login(user)
            await join(client)
            clock.advance(1)
            clients.append(client)
        assert await members(clients[0]) == users
        assert await members(clients[0], order="desc") == users[::-1]
        info = await clients[0].request(ChatroomQuery(room=ROOM, members=2))
        assert isinstance(info, ChatroomInfo)
        assert [m.user for m in info.members] == ["u1", "u2"] and info.info.member_count == 4
        for client in clients:
            await client.close()


async def test_a_busy_room_sheds_low_priority_first_and_never_the_whitelisted(
    tmp_path: Path,
) -> None:
    async with rooms_server(tmp_path) as (handle, live, _clock):
        alice, bob = await pair(handle)
        live.service.policy.add_low_priority(["app:Like"])
        live.service.policy.whitelisted_types.add("app:Gift")
        answers: dict[str, list[ServerFrame]] = {"low": [], "high": [], "gift": []}
        # The clock stands still: everything falls in one 200 ms window of 40 (20 kept
        # for high priority).
        for i in range(40):
            answers["low"].append(await alice.request(text(f"l{i}", object_name="app:Like")))
            if i % 2:
                answers["high"].append(await alice.request(text(f"h{i}")))
            if i % 4 == 0:
                answers["gift"].append(await alice.request(text(f"g{i}", object_name="app:Gift")))
        acked = {k: sum(isinstance(a, SendAck) for a in v) for k, v in answers.items()}
        dropped = {
            k: sum(isinstance(a, ErrorFrame) and a.code == 90020 for a in v)
            for k, v in answers.items()
        }
        assert dropped["high"] == 0 and dropped["gift"] == 0
        assert acked["high"] == 20 and acked["gift"] == 10
        assert dropped["low"] > 0 and acked["low"] + dropped["low"] == 40
        assert live.service.counts["dropped_high"] == 0
        delivered = [p for p in await quiet(bob, 0.3) if isinstance(p, Push)]
        assert len(delivered) == sum(acked.values())
        await alice.close()
        await bob.close()


async def test_stopped_distribution_reaches_no_member_and_resumes(tmp_path: Path) -> None:
    async with rooms_server(tmp_path) as (handle, live, _clock):
        alice, bob = await pair(handle)
        live.service.set_distribution(ROOM, False)
        stopped = await bob.recv()
        assert isinstance(stopped, ChatroomEvent) and stopped.kind == "distribution_stopped"
        assert isinstance(await alice.request(text("held")), SendAck)
        assert await quiet(bob) == []
        live.service.set_distribution(ROOM, True)
        assert isinstance(await bob.recv(), ChatroomEvent)
        assert isinstance(await alice.request(text("flowing")), SendAck)
        assert (await bob.next_push()).message.content["content"] == "flowing"
        await alice.close()
        await bob.close()


async def test_recall_in_a_room_and_the_recent_messages_of_a_join(tmp_path: Path) -> None:
    async with rooms_server(tmp_path) as (handle, _live, clock):
        alice, bob = await handle.login("alice"), await handle.login("bob")
        await join(alice)
        for i in range(60):
            clock.advance(0.01)  # 20 in each 200 ms: within the room's budget
            assert isinstance(await alice.request(text(f"m{i}")), SendAck)
        assert [m.content["content"] for m in (await join(bob, history=3)).messages] == [
            "m57",
            "m58",
            "m59",
        ]
        assert len((await join(bob)).messages) == 10
        assert len((await join(bob, history=50)).messages) == 50
        assert (await join(bob, history=-1)).messages == []
        sent = await alice.request(text("oops"))
        assert isinstance(sent, SendAck)
        assert (await bob.next_push()).message.uid == sent.uid
        recalled = await alice.request(Recall(conv=CONV, uid=sent.uid))
        assert isinstance(recalled, SendAck)
        command = await bob.next_push()
        assert command.message.object_name == messages.RECALL
        assert command.message.content["messageUId"] == sent.uid
        theirs = await bob.request(Recall(conv=CONV, uid=command.message.uid))
        assert isinstance(theirs, ErrorFrame)
        await alice.close()
        await bob.close()


async def test_cloud_history_gives_what_was_sent_while_a_member(tmp_path: Path) -> None:
    async with rooms_server(tmp_path, history=True) as (handle, live, clock):
        alice, bob = await handle.login("alice"), await handle.login("bob")
        await join(alice)
        for i in range(3):
            assert isinstance(await alice.request(text(f"before{i}")), SendAck)
        clock.advance(1)
        await join(bob)
        for i in range(2):
            assert isinstance(await alice.request(text(f"while{i}")), SendAck)
        await live.close()  # the history writes are in
        page = await bob.request(PullRequest(conv=CONV, before_seq=100, limit=50))
        assert isinstance(page, PullReply)
        assert [m.content["content"] for m in page.messages] == ["while1", "while0"]
        page = await alice.request(PullRequest(conv=CONV, before_seq=100, limit=2))
        assert isinstance(page, PullReply) and page.has_more
        assert [m.seq for m in page.messages] == [5, 4]
        stranger = await (await handle.login("carol")).request(
            PullRequest(conv=CONV, before_seq=100)
        )
        assert isinstance(stranger, ErrorFrame) and stranger.code == ErrorCode.NOT_IN_CHATROOM
        await alice.close()
        await bob.close()


def test_auto_exit_rules_refuse_nonsense() -> None:
    for bad in ({"after_ms": 0}, {"after_messages": 0}):
        try:
            AutoExitRule(**bad)
        except ValueError:
            continue
        raise AssertionError(f"accepted {bad}")


async def test_a_send_right_after_a_join_is_in_the_room(tmp_path: Path) -> None:
    async with rooms_server(tmp_path) as (handle, _live, _clock):
        alice = await handle.login("alice")
        await alice.send_frame(ChatroomJoin(id=7, room="fresh", history=-1))
        await alice.send_frame(
            SendMessage(
                id=8,
                conv=ConvRef(type=4, target="fresh"),
                object_name=messages.TEXT,
                content={"content": "first"},
                cmid="first",
            )
        )
        await alice.send_frame(ChatroomLeave(id=9, room="fresh"))
        answers = {}
        while len(answers) < 3:
            frame = await alice.recv()
            answers[frame.re] = frame
        assert isinstance(answers[7], ChatroomJoined)
        assert isinstance(answers[8], SendAck)
        assert isinstance(answers[9], ChatroomInfo) and answers[9].info.member_count == 0
        await alice.close()


async def test_public_rooms_are_offered_and_kept_alive(tmp_path: Path) -> None:
    lobby = PublicRoom("lobby", "The Lobby")
    async with rooms_server(tmp_path, public_rooms=(lobby,), idle_destroy_seconds=1) as (
        handle,
        live,
        clock,
    ):
        alice = await handle.login("alice")
        listed = await alice.request(ChatroomList())
        assert isinstance(listed, ChatroomDirectory)
        assert [(r.room, r.name, r.member_count) for r in listed.rooms] == [
            ("lobby", "The Lobby", 0)
        ]
        clock.advance(3600)
        live.sweep()
        assert "lobby" in live.service.rooms
        await join(alice, "lobby", create=False)
        await alice.close()


async def test_rooms_lists_and_marks_outlive_a_restart_members_only_in_postgresql(
    tmp_path: Path, store_kind: str
) -> None:
    """On SQLite members are online only and rejoin; in PostgreSQL the chatroom log keeps
    them (other nodes may still serve them), offline until their devices come back."""
    handle = ServerHandle(tmp_path / "server", chatrooms=ChatroomSettings(sweep_seconds=3600.0))
    server = await handle.start()
    try:
        alice = await handle.login("alice")
        await join(alice, name="Live room")
        assert isinstance(await alice.request(text("one")), SendAck)
        live = server.chatrooms
        await live.act("keepalive_add", ROOM)
        await live.act("gag", ROOM, ["bob"], 10)
        await live.act("ban", ROOM, ["eve"], 0)
        await live.act("users_allow", ROOM, ["alice"])
        await live.act("low_add", ["app:Like"])
        await alice.close()
    finally:
        await handle.stop()
    server = await handle.start()
    try:
        service = server.chatrooms.service
        room = service.get(ROOM)
        assert (room.name, room.seq, room.online) == ("Live room", 1, set())
        assert list(room.members) == ([] if store_kind == "sqlite" else ["alice"])
        assert ROOM in service.keepalive and service.policy.low_priority == {"app:Like"}
        assert service.policy.whitelisted(ROOM, "alice")
        now = server.chatrooms.clock()
        assert service.mutes.active((ROOM, "bob"), now) and service.bans.active((ROOM, "eve"), now)
        eve = await handle.login("eve")
        refused = await eve.request(ChatroomJoin(room=ROOM))
        assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.KICKED_FROM_CHATROOM
        await eve.close()
    finally:
        await handle.stop()
