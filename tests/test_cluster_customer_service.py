"""The customer-service desk across two `imkit serve` nodes on one PostgreSQL store and a
NATS bus: a customer on node A is taken by an agent on node B and they chat; customers
on both nodes are shared between agents on both nodes by one desk (least loaded first);
an agent's node SIGKILLed takes the agent offline for the desk. They need PostgreSQL and
NATS (skipped with the reason when either cannot be reached)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from imkit_tui import messages
from imkit_tui.protocol import ConversationType, ConvRef, CsAgentState, SendAck
from imkit_tui.server.customer_service.desk import HUMAN_STATUS
from imkit_tui.server.pg.act_log import NODE_SILENT_SECONDS
from tests.cluster_nodes import Nodes, cluster
from tests.cs_helpers import CONFIG, FAQ_TEXT, Inbox
from tests.wire import WireClient

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[Nodes]:
    config = tmp_path / "server-home" / "config"  # the nodes' home (tests/processes.py)
    config.mkdir(parents=True)
    (config / "config.toml").write_text(CONFIG, encoding="utf-8")
    (config / "faq.toml").write_text(FAQ_TEXT, encoding="utf-8")
    with cluster(tmp_path) as found:
        yield found


async def _inbox(nodes: Nodes, url: str, user: str) -> Inbox:
    return Inbox(await WireClient.login(url, nodes.token(user)))


async def _to_human(customer: Inbox) -> str:
    """The customer shakes hands and asks for a person; the agent who takes them."""
    assert isinstance(await customer.send(messages.CS_HANDSHAKE, {}), SendAck)
    assert isinstance(await customer.send(messages.TEXT, {"content": "talk to a human"}), SendAck)
    while True:
        update = await customer.push(messages.CS_UPDATE, timeout=10)
        if update.message.content["serviceStatus"] == HUMAN_STATUS:
            return str(update.message.content["agent"])


async def _agent_online(agent: Inbox) -> None:
    """Wait until the desk (on any node) counts `agent` online."""
    async with asyncio.timeout(10):
        while True:
            state = await agent.agent("info")
            assert isinstance(state, CsAgentState)
            if state.online:
                return
            await asyncio.sleep(0.2)  # within the desk frames' budget (5/s)


async def test_a_customer_on_one_node_is_served_by_an_agent_on_the_other(nodes: Nodes) -> None:
    a, b = nodes.start(), nodes.start()
    carol = await _inbox(nodes, b, "carol")
    await _agent_online(carol)
    alice = await _inbox(nodes, a, "alice")
    assert await _to_human(alice) == "carol"
    seen = await carol.agent("info")
    assert isinstance(seen, CsAgentState) and seen.mine == ["alice"]

    assert isinstance(await alice.send(messages.TEXT, {"content": "my order is late"}), SendAck)
    asked = await carol.push(messages.TEXT, timeout=10)
    assert asked.message.content == {"content": "my order is late"}
    assert asked.message.conv == ConvRef(type=ConversationType.CUSTOMER_SERVICE, target="alice")
    reply = await carol.send(
        messages.TEXT, {"content": "on its way"}, ConvRef(type=5, target="alice")
    )
    assert isinstance(reply, SendAck)
    while True:  # the robot's welcome and notices came before
        answer = await alice.push(messages.TEXT, timeout=10)
        if answer.message.sender == "carol":
            break
    assert answer.message.content == {"content": "on its way"}

    ended = await carol.agent("end", "alice")
    assert isinstance(ended, CsAgentState) and ended.mine == []
    await alice.push(messages.CS_END, timeout=10)
    await alice.push(messages.CS_PULL_EVALUATION, timeout=10)
    rated = await alice.send(messages.CS_EVALUATION, {"source": 5, "suggest": "great"})
    assert isinstance(rated, SendAck)


async def test_one_desk_shares_customers_of_both_nodes_among_agents_of_both(
    nodes: Nodes,
) -> None:
    a, b = nodes.start(), nodes.start()
    carol = await _inbox(nodes, b, "carol")
    dave = await _inbox(nodes, a, "dave")
    await _agent_online(carol)
    while True:  # both counted online by the desk
        state = await dave.agent("info")
        assert isinstance(state, CsAgentState)
        if len(state.online) == 2:
            break
        await asyncio.sleep(0.2)
    customers = [await _inbox(nodes, url, f"c{i}") for i, url in enumerate((a, b, a, b))]
    served = await asyncio.gather(*(_to_human(c) for c in customers))
    assert sorted(served) == ["carol", "carol", "dave", "dave"]  # least loaded, one desk
    for agent, name in ((carol, "carol"), (dave, "dave")):
        state = await agent.agent("info")
        assert isinstance(state, CsAgentState)
        assert sorted(state.mine) == sorted(f"c{i}" for i, who in enumerate(served) if who == name)


async def test_an_agent_whose_node_is_killed_is_offline_for_the_desk(nodes: Nodes) -> None:
    a, b = nodes.start(), nodes.start()
    carol = await _inbox(nodes, b, "carol")
    await _agent_online(carol)
    erin = await _inbox(nodes, a, "erin")
    assert await _to_human(erin) == "carol"  # node a's desk counts carol online
    dave = await _inbox(nodes, a, "dave")
    nodes.processes[1].send_signal(signal.SIGKILL)
    nodes.processes[1].wait(10)
    async with asyncio.timeout(NODE_SILENT_SECONDS + 10):
        while True:  # told when the desk takes carol offline
            state = await dave.agent_push(timeout=NODE_SILENT_SECONDS + 10)
            if state.online == ["dave"]:
                break
    alice = await _inbox(nodes, a, "alice")
    assert await _to_human(alice) == "dave"
    mine = await dave.agent("info")
    assert isinstance(mine, CsAgentState) and mine.mine == ["alice"]  # erin stays carol's
