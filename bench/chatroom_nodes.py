"""A chatroom message through the chatroom log (several nodes on PostgreSQL) beside the
same message on one node on SQLite: one sender and one receiver in one room.

Three set-ups, each real in-process IMServers in this process: one node on SQLite; one
node on PostgreSQL (every message an act of the chatroom log, pg/act_log.py); two nodes
on one PostgreSQL store, the sender on one and the receiver on the other (no bus: the
log carries the room). Run 1, one at a time: each message is timed from its send until
the receiver holds the Push (the sender waits for its ack first). Run 2, `--senders`
members send together as fast as their acks come: the messages the room accepts a
second (acts queued on a node meanwhile share one transaction). The room's budget is
lifted. Only the ratios to SQLite mean something: the servers, PostgreSQL and this
script share the machine.

Needs PostgreSQL (IMKIT_TEST_POSTGRES, default as the tests'). Run: ``python
bench/chatroom_nodes.py [--messages N] [--senders N] [--json]``. Always exits 0; a
measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from _args import positive_int
from _pg import drop_schemas, schema_url
from websockets.asyncio.client import ClientConnection, connect

from imkit_tui.protocol import (
    ChatroomJoin,
    ConvRef,
    Hello,
    Push,
    SendAck,
    SendMessage,
    ServerFrame,
    decode_server_frame,
    encode,
)
from imkit_tui.protocol.tokens import issue_token
from imkit_tui.server import IMServer, ServerConfig
from imkit_tui.server.auth import load_or_create_secret
from imkit_tui.server.chatrooms.budget import BudgetRule
from imkit_tui.server.chatrooms.settings import ChatroomSettings

ROOM = ConvRef(type=4, target="bench")


async def _frame(ws: ClientConnection) -> ServerFrame:
    raw = await ws.recv()
    return decode_server_frame(raw if isinstance(raw, bytes) else raw.encode())


async def _login(server: IMServer, secret: bytes, user: str) -> ClientConnection:
    ws = await connect(server.url, max_size=None)
    await ws.send(encode(Hello(id=1, versions=[1], token=issue_token(secret, user))), text=True)
    await _frame(ws)  # the welcome
    await ws.send(encode(ChatroomJoin(id=2, room=ROOM.target, create=True)), text=True)
    await _frame(ws)  # joined
    return ws


async def _send(ws: ClientConnection, text: str) -> None:
    content = {"content": text}
    frame = SendMessage(id=3, conv=ROOM, object_name="RC:TxtMsg", content=content, cmid=_cmid())
    await ws.send(encode(frame), text=True)
    while not isinstance(await _frame(ws), SendAck):
        pass


def _cmid() -> str:
    return str(uuid.uuid4())


async def _until_push(ws: ClientConnection) -> None:
    while not isinstance(await _frame(ws), Push):
        pass


async def _servers(stack: contextlib.AsyncExitStack, kind: str) -> tuple[IMServer, IMServer]:
    root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="imkit-bench-")))
    store: dict[str, Any] = {}
    if kind != "sqlite":
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        store = {"store_url": schema_url(schema), "migrate_store": True}
        stack.push_async_callback(drop_schemas, [schema])
    rooms = ChatroomSettings(budget=BudgetRule(limit=10**9, reserved_high=0))
    made = []
    for name in ("a", "b") if kind == "two nodes" else ("a",):
        config = ServerConfig(
            data_dir=root / "shared" if store else root / name,
            port=0,
            rate_per_second=1e6,
            rate_burst=10**6,
            chatrooms=rooms,
            **store,
        )
        server = IMServer(config)
        await server.start()
        stack.push_async_callback(server.stop)
        made.append(server)
    return made[0], made[-1]


async def measure(kind: str, messages: int, senders: int) -> dict[str, Any]:
    """Both runs on one set-up."""
    async with contextlib.AsyncExitStack() as stack:
        first, second = await _servers(stack, kind)
        secret = load_or_create_secret(first.config.data_dir)
        receiver = await _login(second, secret, "receiver")
        sender = await _login(first, secret, "sender")
        times = []
        for i in range(messages):
            started = time.perf_counter()
            await _send(sender, str(i))
            await _until_push(receiver)
            times.append((time.perf_counter() - started) * 1000)
        crowd = [await _login(first, secret, f"s{i}") for i in range(senders)]
        started = time.perf_counter()
        await asyncio.gather(*(_burst(ws, messages) for ws in crowd))
        rate = senders * messages / (time.perf_counter() - started)
        for ws in (receiver, sender, *crowd):
            await ws.close()
    times.sort()
    return {
        "p50_ms": statistics.median(times),
        "p99_ms": times[int(len(times) * 0.99) - 1],
        "accepted_per_second": rate,
    }


async def _burst(ws: ClientConnection, messages: int) -> None:
    for i in range(messages):
        await _send(ws, str(i))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=positive_int, default=300, help="default 300")
    parser.add_argument("--senders", type=positive_int, default=8, help="default 8")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    figures = {k: await measure(k, args.messages, args.senders) for k in _KINDS}
    base = figures["sqlite"]
    for kind in _KINDS[1:]:
        mine = figures[kind]
        mine["ratio_p50"] = mine["p50_ms"] / base["p50_ms"]
        mine["ratio_rate"] = mine["accepted_per_second"] / base["accepted_per_second"]
    if args.json:
        print(json.dumps(figures))
        return
    for kind, got in figures.items():
        line = f"{kind:10} p50 {got['p50_ms']:.2f} ms  p99 {got['p99_ms']:.2f} ms"
        line += f"  {got['accepted_per_second']:.0f} accepted/s"
        if "ratio_p50" in got:
            line += f"  (x{got['ratio_p50']:.1f} p50, x{got['ratio_rate']:.2f} rate)"
        print(line)


_KINDS = ("sqlite", "one node", "two nodes")

if __name__ == "__main__":
    asyncio.run(main())
