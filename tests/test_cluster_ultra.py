"""An ultra group across two `imkit serve` nodes on one PostgreSQL store and a NATS bus.

Who of a group is online is known by each node of its own devices only: a message sent
on one node reaches the members connected to the other once (that node fans it out to
its own), a change of the group reaches them too, a member who joins through one node
is reached on the other, and the counts read by either node after a sync are the
store's. They need PostgreSQL and NATS (skipped with the reason when either cannot be
reached; failed under IMKIT_REQUIRE_SERVICES).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from imkit_tui.protocol import MarkRead, UltraInfo, UltraUpdate
from tests.test_cluster import Nodes, nodes
from tests.test_ultra_server import channel_of, say, synced, ug, ultra
from tests.wire import WireClient

__all__ = ["nodes"]  # the fixture, shared with tests/test_cluster.py

pytestmark = pytest.mark.timeout(120)

NEWS = ug("guild", "news")


@pytest.fixture
async def wires() -> AsyncIterator[list[WireClient]]:
    made: list[WireClient] = []
    yield made
    for client in made:
        await client.close()


async def _login(
    made: list[WireClient], nodes: Nodes, url: str, user: str, device: str
) -> WireClient:
    client = await WireClient.login(url, nodes.token(user), device)
    made.append(client)
    return client


async def _next_info(client: WireClient) -> UltraInfo:
    while True:
        frame = await client.recv()
        if isinstance(frame, UltraInfo):
            return frame


async def test_a_channel_message_reaches_members_on_the_other_node_once(
    nodes: Nodes, wires: list[WireClient]
) -> None:
    a, b = nodes.start(), nodes.start()
    alice = await _login(wires, nodes, a, "alice", "main")
    await ultra(alice, "guild", "create", name="Guild")
    await ultra(alice, "guild", "channel_create", channel="news", name="News")
    bob = await _login(wires, nodes, b, "bob", "main")
    await ultra(bob, "guild", "join")  # through node b
    carol_b = await _login(wires, nodes, b, "carol", "laptop")  # in no group yet
    carol_a = await _login(wires, nodes, a, "carol", "phone")
    await ultra(carol_a, "guild", "join")  # through node a: node b learns it too

    # A change of the group made on node a reaches the members on node b.
    await ultra(alice, "guild", "channel_rename", channel="news", name="Headlines")
    for member in (bob, carol_b):
        info = await _next_info(member)
        assert {c.channel: c.name for c in info.channels}["news"] == "Headlines"

    first = await say(alice, NEWS, "hello @carol", {"type": 2, "userIdList": ["carol"]})
    second = await say(alice, NEWS, "second")
    assert (first.seq, second.seq) == (1, 2)
    # Each device gets each message once: the pushes come in seq order, none twice
    # (read before a device's own request, which passes over pushes).
    for name, device in (("bob", bob), ("carol on b", carol_b), ("carol on a", carol_a)):
        assert [(await device.next_push()).message.seq for _ in "12"] == [1, 2], name
    third = await say(bob, NEWS, "from node b")
    assert third.seq == 3
    for name, device in (("alice", alice), ("carol on b", carol_b), ("carol on a", carol_a)):
        push = await device.next_push()
        assert push.message.seq == 3 and push.message.conv == NEWS, name
        assert push.message.content["content"] == "from node b"
    # And nothing more came: the next push each gets is the next message.
    fourth = await say(alice, NEWS, "fourth")
    for name, device in (("bob", bob), ("carol on b", carol_b), ("carol on a", carol_a)):
        assert (await device.next_push()).message.seq == fourth.seq == 4, name

    # The counts after a sync, on either node, are the store's.
    bob_news = channel_of(await synced(bob, "guild"), "news")
    assert (bob_news.unread, bob_news.mentions, bob_news.max_seq) == (3, 0, 4)
    for device in (carol_a, carol_b):
        carol_news = channel_of(await synced(device, "guild"), "news")
        assert (carol_news.unread, carol_news.mentions) == (4, 1)
    read = await carol_b.request(MarkRead(conv=NEWS, seq=2))
    assert isinstance(read, UltraUpdate) and read.state.channels[0].unread == 2
    carol_news = channel_of(await synced(carol_a, "guild"), "news")
    assert (carol_news.read_seq, carol_news.unread, carol_news.mentions) == (2, 2, 0)
