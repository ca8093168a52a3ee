"""Chatrooms across two `imkit serve` nodes on one PostgreSQL store and a NATS bus, over
raw frames: members on both nodes get each room message exactly once; the member list,
bans, mutes and attributes agree whichever node is asked; a node SIGKILLed takes its
members out of the room (they rejoin through the other node, and get nothing twice).
They need PostgreSQL and NATS (skipped with the reason when either cannot be reached).
"""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection, connect

from imkit_tui.protocol import (
    KV_NOTICE,
    AttrSet,
    ChatroomAttrs,
    ChatroomAttrState,
    ChatroomInfo,
    ChatroomJoin,
    ChatroomJoined,
    ChatroomQuery,
    ConvRef,
    ErrorCode,
    ErrorFrame,
    Frame,
    Hello,
    Push,
    SendAck,
    SendMessage,
    ServerFrame,
    Welcome,
    decode_server_frame,
    encode,
)
from imkit_tui.server.api.credentials import load_or_create
from imkit_tui.server.pg.act_log import NODE_SILENT_SECONDS
from tests.api_client import SignedClient
from tests.cluster_nodes import Nodes, cluster, until
from tests.services import pg_fetchval

pytestmark = pytest.mark.timeout(120)

ROOM = "hall"
CONV = ConvRef(type=4, target=ROOM)


class Member:
    """One device over raw frames that keeps every push while it waits for answers."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._next = 100
        self._answers: dict[int, asyncio.Future[ServerFrame]] = {}
        self.pushes: list[Push] = []
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def login(cls, url: str, token: str, device: str = "wire") -> Member:
        ws = await connect(url, max_size=None)
        await ws.send(encode(Hello(id=1, versions=[1], token=token, device=device)), text=True)
        raw = await asyncio.wait_for(ws.recv(), 10)
        welcome = decode_server_frame(raw if isinstance(raw, bytes) else raw.encode())
        assert isinstance(welcome, Welcome), welcome
        return cls(ws)

    async def _read(self) -> None:
        async for raw in self._ws:
            frame = decode_server_frame(raw if isinstance(raw, bytes) else raw.encode())
            if isinstance(frame, Push):
                self.pushes.append(frame)
            elif frame.re in self._answers:
                self._answers.pop(frame.re).set_result(frame)

    async def request(self, frame: Frame, timeout: float = 10.0) -> ServerFrame:
        self._next += 1
        frame.id = self._next
        answer = asyncio.get_running_loop().create_future()
        self._answers[frame.id] = answer
        await self._ws.send(encode(frame), text=True)
        return await asyncio.wait_for(answer, timeout)

    async def join(self, room: str = ROOM, create: bool = False) -> ChatroomJoined:
        joined = await self.request(ChatroomJoin(room=room, create=create))
        assert isinstance(joined, ChatroomJoined), joined
        return joined

    async def say(self, text: str, room: str = ROOM) -> ServerFrame:
        conv = ConvRef(type=4, target=room)
        frame = SendMessage(
            conv=conv, object_name="RC:TxtMsg", content={"content": text}, cmid=str(uuid.uuid4())
        )
        return await self.request(frame)

    async def members(self, room: str = ROOM) -> list[str]:
        info = await self.request(ChatroomQuery(room=room, members=100))
        assert isinstance(info, ChatroomInfo), info
        return [m.user for m in info.members]

    def texts(self) -> list[str]:
        return [str(p.message.content.get("content")) for p in self.pushes if _is_text(p)]

    async def close(self) -> None:
        await self._ws.close()
        self._reader.cancel()


def _is_text(push: Push) -> bool:
    return push.message.conv == CONV and push.message.object_name == "RC:TxtMsg"


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[Nodes]:
    with cluster(tmp_path, "--chatroom-exit", "1,30") as found:
        yield found


@pytest.fixture
async def members() -> AsyncIterator[list[Member]]:
    made: list[Member] = []
    yield made
    for member in made:
        await member.close()


async def _member(
    made: list[Member], nodes: Nodes, url: str, user: str, device: str = "d"
) -> Member:
    member = await Member.login(url, nodes.token(user), device)
    made.append(member)
    return member


async def test_members_on_both_nodes_get_each_room_message_once(
    nodes: Nodes, members: list[Member]
) -> None:
    a, b = nodes.start(), nodes.start()
    alice = await _member(members, nodes, a, "alice")
    bob = await _member(members, nodes, b, "bob")
    carol_a = await _member(members, nodes, a, "carol", "phone")
    carol_b = await _member(members, nodes, b, "carol", "laptop")
    await alice.join(create=True)
    await bob.join()
    await carol_b.join()
    assert await alice.members() == await bob.members() == ["alice", "bob", "carol"]

    sent: list[str] = []
    for i in range(15):
        for who, sender in (("alice", alice), ("bob", bob)):
            text = f"{who} {i}"
            assert isinstance(await sender.say(text), SendAck)
            sent.append(text)
    wanted = {
        device: [t for t in sent if not t.startswith(f"{own} ")]
        for device, own in ((alice, "alice"), (bob, "bob"), (carol_a, "-"), (carol_b, "-"))
    }

    def all_arrived() -> bool:
        return all(len(device.texts()) >= len(texts) for device, texts in wanted.items())

    await until(all_arrived)
    await asyncio.sleep(1.0)  # anything delivered twice would be here by now
    for device, texts in wanted.items():
        assert device.texts() == texts  # once each, in the order sent
    seqs = [p.message.seq for p in carol_a.pushes if _is_text(p)]
    assert seqs == [p.message.seq for p in carol_b.pushes if _is_text(p)]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


async def test_bans_mutes_and_attributes_agree_across_nodes(
    nodes: Nodes, members: list[Member]
) -> None:
    credentials = load_or_create(nodes.data, environ={})
    a = nodes.start(api=True)
    b = nodes.start()
    api = SignedClient(nodes.api_urls[0], credentials)
    try:
        alice = await _member(members, nodes, a, "alice")
        bob = await _member(members, nodes, b, "bob")
        eve = await _member(members, nodes, b, "eve")
        await alice.join(create=True)
        await bob.join()
        await eve.join()

        async def api_up() -> bool:
            try:
                await api.ok("/chatroom/query.json", {"chatroomId": ROOM})
            except Exception:
                return False
            return True

        await until(api_up)
        await api.ok(
            "/chatroom/user/gag/add.json", {"chatroomId": ROOM, "userId": "bob", "minute": 5}
        )
        muted = await bob.say("through the mute?")  # node b knows of the mute made on a
        assert isinstance(muted, ErrorFrame) and muted.code == ErrorCode.MUTED_IN_CHATROOM
        await api.ok(
            "/chatroom/user/block/add.json", {"chatroomId": ROOM, "userId": "eve", "minute": 5}
        )
        banned = await eve.say("still here?")
        assert isinstance(banned, ErrorFrame) and banned.code == ErrorCode.NOT_IN_CHATROOM
        rejoin = await eve.request(ChatroomJoin(room=ROOM))
        assert isinstance(rejoin, ErrorFrame) and rejoin.code == ErrorCode.KICKED_FROM_CHATROOM
        assert await alice.members() == await bob.members() == ["alice", "bob"]

        set_attr = ChatroomAttrs(room=ROOM, op="set", set=[AttrSet(key="topic", value="news")])
        assert isinstance(await alice.request(set_attr), ChatroomAttrState)
        listed = await bob.request(ChatroomAttrs(room=ROOM, op="list"))
        assert isinstance(listed, ChatroomAttrState)
        assert [(x.key, x.value, x.setter) for x in listed.attrs] == [("topic", "news", "alice")]
        taken = ChatroomAttrs(room=ROOM, op="set", set=[AttrSet(key="topic", value="mine")])
        refused = await bob.request(taken)  # set by alice on the other node
        assert isinstance(refused, ErrorFrame)
        assert refused.code == ErrorCode.CHATROOM_KV_OVERWRITE_INVALID

        def notices() -> list[Push]:
            return [p for p in bob.pushes if p.message.object_name == KV_NOTICE]

        await until(lambda: notices())
        await asyncio.sleep(0.5)
        (notice,) = notices()
        assert notice.message.content["key"] == "topic"
    finally:
        await api.close()


async def test_a_killed_nodes_members_leave_and_come_back_through_the_other(
    nodes: Nodes, members: list[Member]
) -> None:
    a, b = nodes.start(), nodes.start()
    alice = await _member(members, nodes, a, "alice")
    bob = await _member(members, nodes, b, "bob")
    await alice.join(create=True)
    await bob.join()
    assert isinstance(await bob.say("before"), SendAck)
    await until(lambda: alice.texts() == ["before"])

    nodes.processes[0].send_signal(signal.SIGKILL)
    nodes.processes[0].wait(10)
    await asyncio.sleep(NODE_SILENT_SECONDS)

    def taken_for_gone() -> bool:
        """The other node logged the killed one gone: alice counts as offline (it looks
        at every tick, so this can come a tick after the silence is long enough)."""
        found = pg_fetchval(
            nodes.store_url,
            "SELECT count(*) FROM log_acts WHERE log = 'chatroom' AND body LIKE '%node_gone%'",
        )
        return bool(found)

    await until(taken_for_gone, 30, every=0.2)
    # Her countdown starts at the first message after she went offline.
    assert isinstance(await bob.say("while alice is away"), SendAck)

    async def alice_gone() -> bool:
        return await bob.members() == ["bob"]

    await until(alice_gone, 30, every=0.5)  # within the chatroom frames' budget (10/s)
    back = await _member(members, nodes, b, "alice")
    joined = await back.join()
    assert [m.content["content"] for m in joined.messages] == ["before", "while alice is away"]
    assert await bob.members() == ["bob", "alice"]
    assert isinstance(await bob.say("after"), SendAck)
    await until(lambda: back.texts() == ["after"])
    await asyncio.sleep(0.5)
    assert back.texts() == ["after"]
