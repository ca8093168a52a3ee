"""Chatroom fan-out: one sender to 2,000 online members beside websockets.broadcast, and a
room under overload shedding low priority first.

Run 1 (fan-out): a real in-process `IMServer` holds one chatroom of `--members` users
(the sender and the receivers), every one online over its own raw protocol connection
(group_fanout.py's light receivers). The sender sends `--messages` messages one after
another; each is timed from just before its SendMessage leaves until the last member has
its Push. The baseline, in the same event loop and turn by turn, is a bare websockets
server writing a Push-sized frame of the same room to every other connection with
`websockets.broadcast` (the way the server writes its pushes: one encoded frame into
each buffer). The room's budget is lifted for this run: it measures delivery, not
shedding.

Run 2 (overload): the room keeps its default budget (40 messages per 200 ms, 20 of them
for high priority). `--senders` connections send as fast as they can for `--seconds`:
mostly low-priority messages (an object name marked low), with a high-priority one
(RC:TxtMsg) every 40th and a whitelisted one (an object name on the message whitelist)
every 100th, so that high priority stays within its reserved 20 per 200 ms while the
room as a whole is far over its budget. Every send is answered: an ack, or
error 90020 when the room dropped it. The counts per priority show what was shed, and
what `--overload-members` receivers got.

Run: ``python bench/chatroom.py [--members N] [--messages N] [--warmup W] [--senders N]
[--seconds S] [--overload-members N] [--json]``. Always exits 0; a measurement, not a
test. Only the ratios of run 1 are meaningful across machines.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _args import non_negative_int, positive_int
from _raw_ws import RawClient
from group_fanout import (
    SENDER,
    Side,
    login,
    member_ids,
    raise_fd_limit,
    ratio,
    start_baseline,
    take_turns,
)
from websockets.asyncio.client import ClientConnection
from websockets.uri import parse_uri

from imkit_tui.protocol import (
    ConversationType,
    ConvRef,
    ErrorFrame,
    SendAck,
    SendMessage,
    Welcome,
    decode_server_frame,
    encode,
)
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.protocol.tokens import issue_token
from imkit_tui.server import IMServer, ServerConfig
from imkit_tui.server.auth import load_or_create_secret
from imkit_tui.server.chatrooms.budget import BudgetRule
from imkit_tui.server.chatrooms.settings import ChatroomSettings
from imkit_tui.server.inbound import InboundPolicy

ROOM = "stage"
LOW, HIGH, GIFT = "app:Like", "RC:TxtMsg", "app:Gift"
KINDS = {LOW: "low", HIGH: "high", GIFT: "whitelisted"}
DROPPED = 90020


def room_conv() -> ConvRef:
    """The room, as every member addresses and sees it."""
    return ConvRef(type=ConversationType.CHATROOM, target=ROOM)


async def start_room(
    stack: contextlib.AsyncExitStack, root: Path, users: Sequence[str], settings: ChatroomSettings
) -> tuple[IMServer, bytes]:
    """A real IMServer whose room `ROOM` has `users` (and the sender) as members; the
    server and its app secret."""
    config = ServerConfig(
        data_dir=root / "server",
        port=0,
        rate_per_second=1e6,
        rate_burst=10**6,
        inbound=InboundPolicy(frames_per_second=1e6, frame_burst=10**6, requests_in_flight=64),
        chatrooms=settings,
    )
    server = IMServer(config)
    await server.start()
    stack.push_async_callback(server.stop)
    service = server.chatrooms.service
    now = server.chatrooms.clock()
    for user in (SENDER, *users):
        service.join(user, ROOM, now, create=True)
    return server, load_or_create_secret(config.data_dir)


# ---------------------------------------------------------------- run 1: fan-out


async def fanout(members: int, messages: int, warmup: int) -> dict[str, Any]:
    """Run 1: the room's fan-out beside websockets.broadcast; figures and ratios."""
    members, note = raise_fd_limit(members)
    receivers = member_ids(members)
    roomy = ChatroomSettings(budget=BudgetRule(limit=10**9, reserved_high=0))
    async with contextlib.AsyncExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="imkit-bench-")))
        baseline = await start_baseline(stack, members, warmup + messages, True, room_conv())
        server, secret = await start_room(stack, root, receivers, roomy)
        tokens = [issue_token(secret, user) for user in receivers]
        imkit = await Side.open(server.url, issue_token(secret, SENDER), tokens, room_conv())
        stack.push_async_callback(imkit.close)
        gc.collect()
        gc.freeze()  # what setup made is not what the fan-outs allocate (group_fanout.py)
        base, mine = await take_turns(baseline, imkit, warmup, messages)
    return {
        "members": members,
        "receivers": members - 1,
        "messages": messages,
        "warmup": warmup,
        "baseline": base,
        "imkit": mine,
        "ratio_throughput": ratio(mine["deliveries_per_second"], base["deliveries_per_second"]),
        "ratio_p99": ratio(mine["p99"], base["p99"]),
        "note": note,
    }


# ---------------------------------------------------------------- run 2: overload


class Listener(RawClient):
    """A member online that counts what it receives, by priority."""

    def __init__(self, url: str, token: str, got: Counter[str]) -> None:
        super().__init__(url, token)
        self._got = got
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_text(self, data: bytes, at: float) -> None:
        """The Welcome, then Pushes (told apart by their object name, without decoding:
        the receivers share the event loop with the server under load)."""
        if data.startswith(b'{"t":"push"'):
            for name, kind in KINDS.items():
                if b'"object_name":"' + name.encode() + b'"' in data:
                    self._got[kind] += 1
                    break
        elif isinstance(decode_server_frame(data), Welcome) and not self.ready.done():
            self.ready.set_result(None)


async def blast(ws: ClientConnection, seconds: float, offered: Counter[str]) -> Counter[str]:
    """Send as fast as the connection takes for `seconds`: low priority, with a high one
    every 40th and a whitelisted one every 100th; count each answer by kind."""
    answers: Counter[str] = Counter()
    kinds: dict[int, str] = {}
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    sent_all = asyncio.Event()

    async def read() -> None:
        while not (sent_all.is_set() and answers.total() >= len(kinds)):
            frame = decode_server_frame(await ws.recv())
            kind = kinds.get(frame.re)
            if kind is None:
                continue
            if isinstance(frame, SendAck):
                answers[f"acked_{kind}"] += 1
            elif isinstance(frame, ErrorFrame) and frame.code == DROPPED:
                answers[f"dropped_{kind}"] += 1
            else:
                answers[f"refused_{kind}"] += 1

    reader = asyncio.create_task(read())
    step = 0
    while loop.time() < end:
        step += 1
        name = GIFT if step % 100 == 0 else HIGH if step % 40 == 0 else LOW
        kinds[step] = KINDS[name]
        offered[KINDS[name]] += 1
        frame = SendMessage(
            id=step, conv=room_conv(), object_name=name, content={"n": step}, cmid=new_uuid7()
        )
        await ws.send(encode(frame), text=True)
        await asyncio.sleep(0.001)
    sent_all.set()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(10):
            await reader
    reader.cancel()
    return answers


async def overload(senders: int, seconds: float, members: int) -> dict[str, Any]:
    """Run 2: several senders well over the room's budget; the counts per priority."""
    users = member_ids(members + 1)  # member_ids leaves one out for the sender
    blasters = [f"loud{i}" for i in range(senders)]
    settings = ChatroomSettings()  # the service's budget: 40 per 200 ms, 20 for high
    async with contextlib.AsyncExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="imkit-bench-")))
        server, secret = await start_room(stack, root, [*users, *blasters], settings)
        server.chatrooms.service.policy.add_low_priority([LOW])
        server.chatrooms.service.policy.whitelisted_types.add(GIFT)
        got: Counter[str] = Counter()
        uri = parse_uri(server.url)
        loop = asyncio.get_running_loop()
        listeners = []
        for user in users:
            _, listener = await loop.create_connection(
                lambda u=user: Listener(server.url, issue_token(secret, u), got),  # type: ignore[misc]
                uri.host,
                uri.port,
            )
            await listener.ready
            listeners.append(listener)
        conns = [await login(server.url, issue_token(secret, user)) for user in blasters]
        offered: Counter[str] = Counter()
        results = await asyncio.gather(*(blast(ws, seconds, offered) for ws in conns))
        await asyncio.sleep(2.0)  # the last pushes arrive
        answers = sum(results, Counter())
        counts = dict(server.chatrooms.service.counts)
        for ws in conns:
            await ws.close()
        for listener in listeners:
            if listener.transport is not None:
                listener.transport.abort()
    return {
        "senders": senders,
        "seconds": seconds,
        "receivers": members,
        "offered": dict(offered),
        "answers": dict(answers),
        "server_counts": counts,
        "received_per_member": {k: v / max(1, members) for k, v in got.items()},
    }


# ---------------------------------------------------------------- output


def render(figures: dict[str, Any]) -> str:
    """Both runs as short tables."""
    one, two = figures["fanout"], figures["overload"]
    lines = [one["note"]] if one["note"] else []
    lines += [
        f"chatroom fan-out, {one['receivers']} receivers online, {one['messages']} messages "
        f"(after {one['warmup']} warm-up)",
        f"{'':<24}{'deliv/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'lost':>6}",
    ]
    for label, key in (("websockets.broadcast", "baseline"), ("imkit chatroom", "imkit")):
        row = one[key]
        lines.append(
            f"{label:<24}{row['deliveries_per_second']:>10.0f}{row['p50']:>9.2f}"
            f"{row['p99']:>9.2f}{row['lost']:>6}"
        )
    lines += [
        f"ratio imkit / broadcast deliveries per second: {one['ratio_throughput']:.2f}x",
        f"ratio imkit p99 / broadcast p99: {one['ratio_p99']:.2f}x",
        "",
        f"overload: {two['senders']} senders for {two['seconds']} s, "
        f"{two['receivers']} receivers, budget 40 per 200 ms (20 for high priority)",
        f"{'priority':<14}{'offered':>9}{'acked':>9}{'dropped':>9}{'per member':>12}",
    ]
    for kind in ("low", "high", "whitelisted"):
        answers = two["answers"]
        lines.append(
            f"{kind:<14}{two['offered'].get(kind, 0):>9}{answers.get(f'acked_{kind}', 0):>9}"
            f"{answers.get(f'dropped_{kind}', 0):>9}"
            f"{two['received_per_member'].get(kind, 0.0):>12.0f}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, run both measurements and print the figures. Returns 0 either way."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--members", type=positive_int, default=2001, help="room size (default 2001)"
    )
    parser.add_argument(
        "--messages", type=positive_int, default=20, help="timed messages (default 20)"
    )
    parser.add_argument(
        "--warmup", type=non_negative_int, default=3, help="untimed messages first (default 3)"
    )
    parser.add_argument(
        "--senders", type=positive_int, default=8, help="overload senders (default 8)"
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="overload duration (default 3)")
    parser.add_argument(
        "--overload-members",
        type=positive_int,
        default=50,
        help="receivers online during the overload (default 50)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    figures = {
        "fanout": asyncio.run(fanout(max(2, args.members), args.messages, args.warmup)),
        "overload": asyncio.run(overload(args.senders, args.seconds, args.overload_members)),
    }
    print(json.dumps(figures) if args.json else render(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
