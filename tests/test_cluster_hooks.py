"""The app's backend hooks on two `imkit serve` nodes sharing one PostgreSQL store and a
NATS bus: every message sent on either node is routed once, in order per conversation;
a SIGKILL of the sending node while the backend is down loses nothing (the other node
takes over and sends every waiting row); who is online is every node's truth (one
status report per change, no offline push to a user online on the other node).
They need PostgreSQL and NATS (skipped with the reason when either cannot be reached).
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from imkit_tui.protocol import SendAck
from imkit_tui.server.hooks.forms import LOGOUT, ONLINE
from tests.backend import Backend, Received, running_backend
from tests.cluster_nodes import Nodes, cluster
from tests.services import (
    pg_fetchval,
)
from tests.wire import WireClient

pytestmark = pytest.mark.timeout(180)

SECRET = "cluster-hooks-secret-0123456789"
FAST_HOOKS = """
[hooks]
retry_base_seconds = 0.05
retry_max_seconds = 0.5
status_coalesce_seconds = 0.3
push_coalesce_seconds = 0.3
push_interval_seconds = 0.5
"""


@dataclass
class HookedNodes:
    """Nodes of one test (tests/cluster_nodes.py) signing with SECRET, their hooks
    sending to `backend`."""

    nodes: Nodes
    backend: Backend

    @property
    def store_url(self) -> str:
        """The store every node shares."""
        return self.nodes.store_url

    @property
    def processes(self) -> list[subprocess.Popen[str]]:
        """The nodes' processes, in the order they started."""
        return self.nodes.processes

    def start(self, *flags: str) -> str:
        """Start one more node with the hooks' `flags`; its URL."""
        return self.nodes.start(*flags)

    async def login(self, url: str, user: str, device: str = "wire") -> WireClient:
        return await WireClient.login(url, self.nodes.token(user), device)

    def waiting_rows(self) -> int:
        """How many requests wait in the shared outgoing queue."""
        return int(str(pg_fetchval(self.store_url, "SELECT count(*) FROM hook_outbox")))


@pytest.fixture
async def hooked(tmp_path: Path) -> AsyncIterator[HookedNodes]:
    config = tmp_path / "server-home" / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(FAST_HOOKS)
    with cluster(tmp_path, "--app-secret", SECRET) as nodes:
        async with running_backend(SECRET) as backend:
            yield HookedNodes(nodes, backend)


def _routed(backend: Backend) -> list[Received]:
    return backend.bodies("/route")


def _lanes(got: list[Received]) -> dict[tuple[str, str], list[str]]:
    """The texts routed, in arrival order, per conversation (sender, receiver)."""
    lanes: dict[tuple[str, str], list[str]] = {}
    for received in got:
        form = received.form
        key = (form["fromUserId"], form.get("groupId") or form["toUserId"])
        lanes.setdefault(key, []).append(json.loads(form["content"])["content"])
    return lanes


async def _send_all(client: WireClient, sends: list[tuple[str, str]]) -> None:
    for peer, text in sends:
        ack = await client.send_text(peer, text, cmid=text)
        assert isinstance(ack, SendAck), ack


def _plan(sender: str, count: int) -> Iterator[tuple[str, str]]:
    """Texts from `sender` to bob (odd) and carol (even) in turn."""
    for n in range(count):
        yield "bob" if n % 2 else "carol", f"{sender}-{n}"


async def test_messages_sent_on_both_nodes_are_routed_once_in_order(
    hooked: HookedNodes,
) -> None:
    route = hooked.backend.at("/route")
    a = hooked.start("--routing-url", route)
    b = hooked.start("--routing-url", route)
    alice, dave = await hooked.login(a, "alice"), await hooked.login(b, "dave")
    bob = await hooked.login(b, "bob")  # writes to alice from the other node
    await asyncio.gather(
        _send_all(alice, list(_plan("alice", 60))),
        _send_all(dave, list(_plan("dave", 60))),
        _send_all(bob, [("alice", f"bob-{n}") for n in range(30)]),
    )
    await hooked.backend.until(lambda: len(_routed(hooked.backend)) >= 150, 30)
    await asyncio.sleep(1.0)  # nothing more comes: no message is routed twice
    got = _routed(hooked.backend)
    assert len(got) == 150
    assert len({r.form["msgUID"] for r in got}) == 150
    for (sender, peer), texts in _lanes(got).items():
        if sender == "bob":
            assert texts == [f"bob-{n}" for n in range(30)]
            continue
        parity = 1 if peer == "bob" else 0
        assert texts == [f"{sender}-{n}" for n in range(60) if n % 2 == parity]
    # alice and bob wrote to each other from two nodes: one conversation, routed in
    # the order of its seqs
    seqs = json.loads(
        str(pg_fetchval(hooked.store_url, "SELECT json_object_agg(uid, seq) FROM messages"))
    )
    between = [
        seqs[r.form["msgUID"]]
        for r in got
        if {r.form["fromUserId"], r.form["toUserId"]} == {"alice", "bob"}
    ]
    assert len(between) == 60 and between == sorted(between)
    assert hooked.waiting_rows() == 0
    for client in (alice, dave, bob):
        await client.close()


async def test_the_other_node_sends_what_a_killed_sender_left(hooked: HookedNodes) -> None:
    hooked.backend.down = True
    route = hooked.backend.at("/route")
    a = hooked.start("--routing-url", route)  # first: it holds the sender's lock
    b = hooked.start("--routing-url", route)
    alice, dave = await hooked.login(a, "alice"), await hooked.login(b, "dave")
    await asyncio.gather(
        _send_all(alice, list(_plan("alice", 30))), _send_all(dave, list(_plan("dave", 30)))
    )
    await hooked.backend.until(
        lambda: hooked.backend.refused >= 2 and hooked.waiting_rows() == 60, 20
    )
    refused_before_kill = hooked.backend.refused
    hooked.processes[0].send_signal(signal.SIGKILL)
    await asyncio.to_thread(hooked.processes[0].wait, 10)
    await dave.close()
    await asyncio.sleep(0.5)
    assert hooked.backend.got == []
    hooked.backend.down = False
    await hooked.backend.until(
        lambda: len({r.form["msgUID"] for r in _routed(hooked.backend)}) == 60, 30
    )
    assert refused_before_kill >= 2  # the killed node was sending (and failing) before
    got = _routed(hooked.backend)
    for (sender, peer), texts in _lanes(got).items():
        parity = 1 if peer == "bob" else 0
        firsts = list(dict.fromkeys(texts))  # at least once: a retry may repeat
        assert firsts == [f"{sender}-{n}" for n in range(30) if n % 2 == parity]
    await hooked.backend.until(lambda: hooked.waiting_rows() == 0, 10)


async def test_who_is_online_is_every_nodes_truth(hooked: HookedNodes) -> None:
    push_url = hooked.backend.url.replace("http://", "json://") + "/push"
    flags = ("--status-url", hooked.backend.at("/status"), "--push-url", push_url)
    a = hooked.start(*flags)
    b = hooked.start(*flags)
    alice = await hooked.login(a, "alice")
    bob_b = await hooked.login(b, "bob", "phone")
    await hooked.backend.until(lambda: _statuses(hooked.backend, "bob") == [ONLINE])
    bob_a = await hooked.login(a, "bob", "desk")  # online on both nodes: nothing new

    assert isinstance(await alice.send_text("bob", "are you there", cmid="m1"), SendAck)
    assert isinstance(await alice.send_text("carol", "and you", cmid="m2"), SendAck)
    await hooked.backend.until(lambda: len(hooked.backend.bodies("/push")) >= 1)
    await bob_a.close()  # bob is still online on b: no push, no report
    assert isinstance(await alice.send_text("bob", "still there?", cmid="m3"), SendAck)
    await asyncio.sleep(1.5)  # past the pushes' gathering and the status window
    pushes = [r.body for r in hooked.backend.bodies("/push")]
    assert [p["title"] for p in pushes] == ["alice"]  # carol's, and none of bob's
    assert pushes[0]["message"] == "and you"
    assert _statuses(hooked.backend, "bob") == [ONLINE]

    await bob_b.close()  # bob's last device logs out (on the other node)
    await hooked.backend.until(lambda: _statuses(hooked.backend, "bob") == [ONLINE, LOGOUT])
    await asyncio.sleep(0.8)
    assert _statuses(hooked.backend, "bob") == [ONLINE, LOGOUT]  # reported once
    await alice.close()


def _statuses(backend: Backend, user: str) -> list[str]:
    return [
        item["status"]
        for received in backend.bodies("/status")
        for item in received.body
        if item["userid"] == user
    ]
