"""Two `imkit serve` nodes on one PostgreSQL store and a NATS bus, clients on both.

Private and group chat across nodes; one node SIGKILLed while senders on both nodes
send 1,000 messages: after the clients moved to the surviving node, every message is
there exactly once, in order, for every member. A restart of NATS loses nothing: what
the bus did not carry comes by sync. The send limit is per user, not per node, and a
push encoded once (tell_encoded) reaches the user's devices on every node.
They need PostgreSQL and NATS (skipped with the reason when either cannot be reached;
failed under IMKIT_REQUIRE_SERVICES).
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from PIL import Image

from imkit_tui.core import IMClient
from imkit_tui.core.models import Message
from imkit_tui.protocol import ConvRef, ErrorCode, ErrorFrame, SendAck, UltraInfo, encode
from imkit_tui.server.nats_fanout import RATE_REPORT_SECONDS
from imkit_tui.server.ratelimit import PerUser
from tests.api_client import running_api
from tests.cluster_nodes import Nodes, cluster, free_port
from tests.conftest import FAST_BACKOFF, running_server, until_client
from tests.processes import imkit
from tests.services import NATS_URL, fresh_schema_url, nats_missing, need, postgres_missing

pytestmark = pytest.mark.timeout(300)

TEXT = "RC:TxtMsg"


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[Nodes]:
    with cluster(tmp_path) as found:
        yield found


@pytest.fixture
async def clients(tmp_path: Path) -> AsyncIterator[list[IMClient]]:
    made: list[IMClient] = []
    yield made
    async with asyncio.timeout(20):
        await asyncio.gather(*(c.close() for c in made))


async def _client(
    made: list[IMClient], nodes: Nodes, tmp_path: Path, user: str, servers: list[str]
) -> IMClient:
    client = IMClient(
        server_url=",".join(servers),
        token=nodes.token(user),
        store_path=tmp_path / "clients" / user / "store.db",
        device="main",
        backoff=FAST_BACKOFF,
        request_timeout=5.0,
    )
    made.append(client)
    await client.start()
    await client.wait_synced(timeout=20)
    return client


async def _texts(client: IMClient, conv: ConvRef) -> list[Message]:
    shown = await client.messages(conv, limit=5000)
    return [m for m in shown if m.object_name == TEXT]


async def _until_texts(client: IMClient, conv: ConvRef, count: int, timeout: float) -> None:
    async def enough() -> bool:
        return len(await _texts(client, conv)) >= count

    await until_client(client, enough, timeout)


def _assert_once_in_order(shown: list[Message], expected: list[str]) -> None:
    texts = [m.content.get("content") for m in shown]
    assert len(texts) == len(set(texts)), "a message is there twice"
    missing = set(expected) - set(texts)
    assert not missing, f"{len(missing)} messages lost, e.g. {sorted(missing)[:3]}"
    assert texts == expected
    seqs = [m.seq for m in shown]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


async def test_private_and_group_chat_across_nodes(
    nodes: Nodes, clients: list[IMClient], tmp_path: Path
) -> None:
    a, b = nodes.start(), nodes.start()
    alice = await _client(clients, nodes, tmp_path, "alice", [a, b])
    bob = await _client(clients, nodes, tmp_path, "bob", [b, a])
    carol = await _client(clients, nodes, tmp_path, "carol", [b, a])
    assert alice.connected_url == a and bob.connected_url == b

    await alice.send_text(ConvRef.private("bob"), "hello from node a")
    await _until_texts(bob, ConvRef.private("alice"), 1, 10)
    await bob.send_text(ConvRef.private("alice"), "hello from node b")
    await _until_texts(alice, ConvRef.private("bob"), 2, 10)
    assert [m.content["content"] for m in await _texts(alice, ConvRef.private("bob"))] == [
        "hello from node a",
        "hello from node b",
    ]

    await alice.groups.create("g1", "across", ["bob", "carol"])
    group = ConvRef.group("g1")
    await alice.send_text(group, "to the group from a")
    await carol.send_text(group, "to the group from b")
    for member in (alice, bob, carol):
        await _until_texts(member, group, 2, 10)
    orders = [[m.content["content"] for m in await _texts(c, group)] for c in (alice, bob, carol)]
    assert orders[0] == orders[1] == orders[2]  # one order, the store's
    assert sorted(orders[0]) == ["to the group from a", "to the group from b"]


async def test_a_node_killed_mid_stream_loses_nothing_and_duplicates_nothing(
    nodes: Nodes, clients: list[IMClient], tmp_path: Path
) -> None:
    a, b = nodes.start(), nodes.start()
    alice = await _client(clients, nodes, tmp_path, "alice", [a, b])  # sends, on a
    erin = await _client(clients, nodes, tmp_path, "erin", [a, b])  # reads, on a
    dave = await _client(clients, nodes, tmp_path, "dave", [b, a])  # sends, on b
    bob = await _client(clients, nodes, tmp_path, "bob", [b, a])  # reads, on b
    await dave.groups.create("g2", "kill", ["alice", "bob", "erin"])
    group = ConvRef.group("g2")
    to_bob = ConvRef.private("bob")
    private_texts = [f"a-{n}" for n in range(500)]
    group_texts = [f"d-{n}" for n in range(500)]

    async def send(client: IMClient, conv: ConvRef, texts: list[str]) -> list[int]:
        ids = []
        for text in texts:
            ids.append((await client.send_text(conv, text)).id)
            await asyncio.sleep(0)
        return ids

    sending = asyncio.gather(send(alice, to_bob, private_texts), send(dave, group, group_texts))
    await _until_texts(bob, ConvRef.private("alice"), 100, 30)
    nodes.processes[0].send_signal(signal.SIGKILL)
    at_kill = len(await _texts(bob, ConvRef.private("alice")))
    nodes.processes[0].wait(10)
    alice_ids, dave_ids = await sending
    await alice.wait_sent(alice_ids, timeout=120)
    await dave.wait_sent(dave_ids, timeout=120)

    assert at_kill < 500, "the node was killed after the stream, not in it"
    await _until_texts(bob, ConvRef.private("alice"), 500, 60)
    _assert_once_in_order(await _texts(bob, ConvRef.private("alice")), private_texts)
    _assert_once_in_order(await _texts(alice, to_bob), private_texts)
    for member in (alice, bob, erin, dave):
        await _until_texts(member, group, 500, 60)
        _assert_once_in_order(await _texts(member, group), group_texts)
    assert alice.connected_url == b and erin.connected_url == b  # they moved


def _start_nats(port: int, store: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        ["nats-server", "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), 0.1).close()
            return process
        except OSError:
            if process.poll() is not None:
                raise AssertionError("nats-server did not start") from None
            subprocess.run(["sleep", "0.05"], check=False)
    raise AssertionError("nats-server did not listen")


async def test_a_nats_restart_loses_nothing(tmp_path: Path, clients: list[IMClient]) -> None:
    need(postgres_missing())
    if shutil.which("nats-server") is None:
        need("nats-server is not installed (this test restarts a NATS of its own)")
    port = free_port()
    nats = _start_nats(port, tmp_path / "js")
    nodes = Nodes(tmp_path / "shared", fresh_schema_url(), f"nats://127.0.0.1:{port}", [], [])
    try:
        a, b = nodes.start(), nodes.start()
        alice = await _client(clients, nodes, tmp_path, "alice", [a])
        bob = await _client(clients, nodes, tmp_path, "bob", [b])
        to_bob = ConvRef.private("bob")
        texts = [f"n-{n}" for n in range(30)]
        for text in texts[:10]:
            await alice.send_text(to_bob, text)
        await _until_texts(bob, ConvRef.private("alice"), 10, 20)
        nats.kill()
        nats.wait(10)
        for text in texts[10:20]:  # while the bus is down
            await alice.send_text(to_bob, text)
        nats = _start_nats(port, tmp_path / "js")
        for text in texts[20:]:
            await alice.send_text(to_bob, text)
        await _until_texts(bob, ConvRef.private("alice"), 30, 60)
        _assert_once_in_order(await _texts(bob, ConvRef.private("alice")), texts)
    finally:
        for process in nodes.processes:
            process.terminate()
            process.wait(10)
        nats.kill()
        nats.wait(10)


def test_a_node_counts_what_it_lets_through_and_charges_what_others_did() -> None:
    local = PerUser(rate=0.001, burst=3)
    assert local.take_counts() == {}  # not shared: nothing is counted
    local.share()
    assert [local.allow("ann") for _ in range(2)] == [True, True]
    assert local.take_counts() == {"ann": 2} and local.take_counts() == {}
    local.charge({"ann": 1, "ben": 3})  # let through on another node
    assert local.allow("ann") is False and local.allow("ben") is False


async def test_the_send_limit_is_per_user_across_nodes(tmp_path: Path) -> None:
    need(postgres_missing())
    need(nats_missing())
    shared = {
        "store_url": fresh_schema_url(),
        "migrate_store": True,
        "bus_url": f"{NATS_URL}?subject=imkit-test-{uuid.uuid4().hex[:12]}",
        "rate_per_second": 0.01,
        "rate_burst": 3,
    }
    async with (
        running_server(tmp_path / "shared", **shared) as a,
        running_server(tmp_path / "shared", **shared) as b,
    ):
        on_a, on_b = await a.login("alice"), await b.login("alice", "other")
        try:
            for n in range(3):
                assert isinstance(await on_a.send_text("bob", f"{n}", cmid=f"a{n}"), SendAck)
            await asyncio.sleep(RATE_REPORT_SECONDS * 5)  # a's report reaches b
            refused = await on_b.send_text("bob", "one too many", cmid="b0")
            assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.RATE_LIMITED
        finally:
            await on_a.close()
            await on_b.close()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--migrate"], "--migrate is for a PostgreSQL store"),
        (["--store", "mysql://db/imkit"], "store must be a postgresql:// URL"),
        (["--bus", "nats://127.0.0.1:4222"], "give store_url too"),
    ],
)
def test_serve_refuses_cluster_settings_that_cannot_work(
    tmp_path: Path, args: list[str], said: str
) -> None:
    result = imkit(tmp_path / "home", "serve", "--port", "0", "--data", str(tmp_path), *args)
    assert result.returncode == 2 and said in result.stderr


def test_a_node_on_an_old_schema_says_to_migrate(tmp_path: Path) -> None:
    store = fresh_schema_url()
    result = imkit(
        tmp_path / "home", "serve", "--port", "0", "--data", str(tmp_path), "--store", store
    )
    assert result.returncode != 0 and "--migrate" in result.stderr


def test_a_node_says_which_service_it_cannot_reach(tmp_path: Path) -> None:
    serve = ["serve", "--port", "0", "--data", str(tmp_path)]
    no_db = imkit(tmp_path / "home", *serve, "--store", "postgresql://postgres@127.0.0.1:1/x")
    assert no_db.returncode == 1 and "cannot reach the store at" in no_db.stderr
    store = fresh_schema_url()
    no_bus = imkit(
        tmp_path / "home", *serve, "--store", store, "--migrate", "--bus", "nats://127.0.0.1:1"
    )
    assert no_bus.returncode == 1 and "cannot reach the bus at nats://127.0.0.1:1" in no_bus.stderr


async def test_the_broadcast_limit_holds_across_nodes(tmp_path: Path) -> None:
    need(postgres_missing())
    form = {"fromUserId": "admin", "objectName": "RC:TxtMsg", "content": '{"content": "news"}'}
    store = {"store_url": fresh_schema_url(), "migrate_store": True}
    async with (
        running_api(tmp_path / "shared", **store) as first,
        running_api(tmp_path / "shared", **store) as second,
    ):
        await first.client.ok("/message/broadcast.json", form)
        await second.client.ok("/message/broadcast.json", form)  # two an hour, on two nodes
        status, body = await first.client.post("/message/broadcast.json", form)
        assert (status, body["code"]) == (429, 1008)


async def test_a_file_sent_through_one_node_downloads_through_the_other(
    nodes: Nodes, clients: list[IMClient], tmp_path: Path
) -> None:
    a, b = nodes.start(), nodes.start()
    alice = await _client(clients, nodes, tmp_path, "alice", [a])
    bob = await _client(clients, nodes, tmp_path, "bob", [b])
    picture = tmp_path / "photo.png"
    Image.new("RGB", (32, 32), (200, 10, 10)).save(picture)
    sent = await alice.files.send(ConvRef.private("bob"), picture)
    await alice.wait_sent([sent.id], timeout=20)

    async def arrived() -> bool:
        return bool(await bob.messages(ConvRef.private("alice")))

    await until_client(bob, arrived, 20)
    (received,) = await bob.messages(ConvRef.private("alice"))
    fetched = await bob.files.download(received)  # from node b, uploaded to node a
    assert fetched.read_bytes() == picture.read_bytes()


async def test_a_targeted_message_across_nodes_is_numbered_each_members_way(
    nodes: Nodes, clients: list[IMClient], tmp_path: Path
) -> None:
    a, b = nodes.start(), nodes.start()
    alice = await _client(clients, nodes, tmp_path, "alice", [a])
    bob = await _client(clients, nodes, tmp_path, "bob", [b])
    carol = await _client(clients, nodes, tmp_path, "carol", [b])
    await alice.groups.create("g3", "whispers", ["bob", "carol"])
    group = ConvRef.group("g3")
    await alice.send_text(group, "for everyone")
    await alice.send_text(group, "for bob only", to=["bob"])  # stored on a, pushed on b
    await alice.send_text(group, "for everyone again")
    await _until_texts(bob, group, 3, 20)
    await _until_texts(carol, group, 2, 20)
    seen_by_bob = await _texts(bob, group)
    seen_by_carol = await _texts(carol, group)
    assert [m.content["content"] for m in seen_by_bob] == [
        "for everyone",
        "for bob only",
        "for everyone again",
    ]
    assert [m.content["content"] for m in seen_by_carol] == ["for everyone", "for everyone again"]
    # carol's numbering has no gap where bob's message is
    assert seen_by_carol[1].seq == seen_by_carol[0].seq + 1
    assert seen_by_bob[2].seq == seen_by_bob[1].seq + 1 == seen_by_bob[0].seq + 2


async def test_an_encoded_push_reaches_the_devices_on_every_node(tmp_path: Path) -> None:
    need(postgres_missing())
    need(nats_missing())
    shared = {
        "store_url": fresh_schema_url(),
        "migrate_store": True,
        "bus_url": f"{NATS_URL}?subject=imkit-test-{uuid.uuid4().hex[:12]}",
    }
    async with (
        running_server(tmp_path / "shared", **shared) as a,
        running_server(tmp_path / "shared", **shared) as b,
    ):
        on_a, on_b = await a.login("alice"), await b.login("alice", "other")
        try:
            assert a.server is not None
            pushed = UltraInfo(group="g", name="Guild", member=True)
            a.server.fanout.tell_encoded("alice", encode(pushed))
            assert await on_a.recv() == pushed  # here
            assert await on_b.recv() == pushed  # the same bytes, through the bus
        finally:
            await on_a.close()
            await on_b.close()
