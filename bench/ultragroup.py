"""Ultra groups: send, pull and count cost and the server's memory at 100, 10,000 and
100,000 members, as ratios to the 100-member group of the same run.

One in-process `IMServer` holds an ultra group of each size (the members are written
straight into its store as joins leave them, one row each, so the setup takes seconds,
not the hours of 100,000 joins); most members never come online. The groups share their
first members, so the same users online are in every group. Over raw protocol
connections (`_raw_ws.RawClient`, no client store), the groups take turns message by
message, so a busy moment of the machine falls on all of them alike:

- **send cost**: with the same 99 members online in every group, each message is timed
  from its frame leaving to its ack (after the commit and the pushes). Read diffusion
  means this should not move with the members.
- **pull and count cost**: a member pulls a page of 50 back and asks its counts
  (`ultra_sync`: unread and mentions by read diffusion).
- **RSS**: the process's resident memory after each group is made and written to,
  before anyone connects; the growth per member between groups is quoted.
- **fan-out**: with up to `--online` members online (1,000; 99 in the 100-member
  group), each message is timed until the last of them has its push, beside a bare
  `websockets.broadcast` server with as many receivers in the same event loop
  (bench/group_fanout.py's baseline); the ratio is of deliveries per second.

Run: ``python bench/ultragroup.py [--sizes 100,10000,100000] [--online 1000]
[--messages N] [--pulls N] [--json]``. Always exits 0; a measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _args import positive_int
from group_fanout import (
    BareFanout,
    Receiver,
    Tally,
    baseline_frames,
    login,
    message_text,
    open_receivers,
    raise_fd_limit,
)
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.server import serve

from imkit_tui.protocol import (
    ConvRef,
    ErrorFrame,
    Frame,
    PullReply,
    PullRequest,
    Push,
    SendAck,
    SendMessage,
    ServerFrame,
    UltraRequest,
    UltraSync,
    UltraSynced,
    decode_server_frame,
    encode,
)
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.protocol.tokens import issue_token
from imkit_tui.server import IMServer, ServerConfig
from imkit_tui.server.auth import load_or_create_secret
from imkit_tui.server.budgets import Budget, FrameBudgets

SENDER = "sender"
SEND_ONLINE = 99
"""Members online while the send cost is measured: the same for every group."""
DELIVERY_TIMEOUT = 30.0
SEEDED_MESSAGES = 200
"""Messages each channel holds before the measures (pulls have pages to read)."""


def rss_kib() -> int:
    """This process's resident set size now (KiB), from /proc (0 where it is not)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def member_ids(members: int) -> list[str]:
    """Every member of a group of `members` but its owner (the sender). The groups
    share their first members, so the same users online are in every group."""
    return [f"m{index:06d}" for index in range(members - 1)]


def group_of(members: int) -> str:
    """The id of the group of `members` members."""
    return f"g{members}"


async def add_members(server: IMServer, group: str, users: list[str]) -> None:
    """Write the members into the store as joins leave them: one row each."""
    store = server.store
    assert store is not None

    def job(conn: Any) -> None:
        conn.executemany(
            "INSERT INTO ultra_members(group_id, user_id, joined_at) VALUES (?, ?, 0)",
            [(group, user) for user in users],
        )
        conn.execute(
            "UPDATE ultra_groups SET member_count = member_count + ? WHERE id = ?",
            (len(users), group),
        )

    await store._writer.submit(job)
    store.ultra._groups.pop(group, None)


class Caller:
    """One connection that asks and waits for the answer, skipping pushes."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._next = 1000

    async def ask(self, frame: Frame) -> ServerFrame:
        """Send `frame` with a fresh id; its answer."""
        self._next += 1
        frame.id = self._next
        await self.ws.send(encode(frame), text=True)
        while True:
            answer = decode_server_frame(await self.ws.recv())
            if not isinstance(answer, Push) and answer.re == frame.id:
                if isinstance(answer, ErrorFrame):
                    raise RuntimeError(f"refused: {answer.code} {answer.message}")
                return answer

    async def timed(self, frame: Frame, kind: type) -> float:
        """Seconds from `frame` leaving to its answer (of type `kind`)."""
        started = time.perf_counter()
        answer = await self.ask(frame)
        elapsed = time.perf_counter() - started
        assert isinstance(answer, kind), answer
        return elapsed


def text(group: str, index: int) -> SendMessage:
    """Message `index` to `group`'s default channel."""
    return SendMessage(
        conv=ConvRef(type=10, target=group),
        object_name="RC:TxtMsg",
        content={"content": message_text(index)},
        cmid=new_uuid7(),
    )


async def until_all(tally: Tally, index: int) -> float | None:
    """Seconds until every online receiver had message `index` (None: some lost)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(DELIVERY_TIMEOUT):
            await tally.done[index].wait()
    arrived = tally.latencies[index]
    return max(arrived) if len(arrived) == tally.expected else None


class Baseline:
    """A bare websockets.broadcast server with `receivers` connections (group_fanout's)."""

    def __init__(self, frames: int) -> None:
        self.fanout = BareFanout([baseline_frames(i) for i in range(frames)], True)
        self.tally = Tally(expected=0)
        self.sent = 0

    async def open(self, stack: contextlib.AsyncExitStack, receivers: int) -> None:
        """Start it and connect its receivers and its sender."""
        server = await stack.enter_async_context(
            serve(self.fanout.handle, "127.0.0.1", 0, compression=None)
        )
        url = f"ws://127.0.0.1:{next(iter(server.sockets)).getsockname()[1]}"
        self.tally.expected = receivers
        opened = await open_receivers(url, ["-"] * receivers, self.tally)
        stack.push_async_callback(lambda: asyncio.gather(*(r.close() for r in opened)))
        self.sender = await login(url, "-")
        stack.push_async_callback(self.sender.close)

    async def once(self) -> float | None:
        """Broadcast the next frame; seconds until every receiver had it."""
        index = self.sent
        self.sent += 1
        self.tally.begin(index)
        await self.sender.send(b"x", text=True)
        await self.sender.recv()  # its ack
        return await until_all(self.tally, index)


def median_ms(values: list[float]) -> float:
    """The median in milliseconds (0 when empty)."""
    return statistics.median(values) * 1000 if values else 0.0


async def measure(
    root: Path, sizes: Sequence[int], online: int, messages: int, pulls: int
) -> dict[str, Any]:
    """Every figure of every size, in one server: the groups take turns, message by
    message, so a busy moment of the machine falls on all of them alike."""
    data_dir = root / "server"
    roomy = FrameBudgets(**{f.name: Budget(1e9, 10**9) for f in dataclasses.fields(FrameBudgets)})
    config = ServerConfig(
        data_dir=data_dir, port=0, rate_per_second=1e6, rate_burst=10**6, budgets=roomy
    )
    rows: dict[int, dict[str, Any]] = {n: {"members": n} for n in sizes}
    async with contextlib.AsyncExitStack() as stack:
        gc.collect()
        rss = rss_kib()
        server = IMServer(config)
        await server.start()
        stack.push_async_callback(server.stop)
        secret = load_or_create_secret(data_dir)
        sender = Caller(await login(server.url, issue_token(secret, SENDER)))
        stack.push_async_callback(sender.ws.close)
        for members in sizes:  # each group, and the memory it took
            group = group_of(members)
            await sender.ask(UltraRequest(group=group, op="create", pre_join_history=True))
            await add_members(server, group, member_ids(members))
            for index in range(SEEDED_MESSAGES):
                await sender.ask(text(group, 10**6 + index))
            gc.collect()
            rows[members]["rss_kib"] = rss_kib() - rss
        users = member_ids(max(sizes))
        wanted = min(online, len(users))
        tokens = [issue_token(secret, user) for user in users[: max(wanted, SEND_ONLINE)]]
        tally = Tally(expected=0)  # every receiver's: it notes the messages begun only
        receivers: list[Receiver] = await open_receivers(server.url, tokens[:SEND_ONLINE], tally)
        stack.push_async_callback(lambda: asyncio.gather(*(r.close() for r in receivers)))
        reader = Caller(await login(server.url, issue_token(secret, users[0])))
        stack.push_async_callback(reader.ws.close)

        sends: dict[int, list[float]] = {n: [] for n in sizes}
        reads: dict[int, list[float]] = {n: [] for n in sizes}
        counts: dict[int, list[float]] = {n: [] for n in sizes}
        for index in range(max(messages, pulls)):
            for members in sizes:
                group = group_of(members)
                conv = ConvRef(type=10, target=group)
                if index < messages:
                    sends[members].append(await sender.timed(text(group, index), SendAck))
                if index < pulls:
                    pull = PullRequest(conv=conv, before_seq=SEEDED_MESSAGES, limit=50)
                    reads[members].append(await reader.timed(pull, PullReply))
                    ask = UltraSync(groups=[group])
                    counts[members].append(await reader.timed(ask, UltraSynced))

        # Fan-out: up to `online` members online, beside websockets.broadcast with as
        # many receivers.
        receivers += await open_receivers(server.url, tokens[SEND_ONLINE:wanted], tally)
        baselines: dict[int, Baseline] = {}
        for receiving in sorted({min(wanted, n - 1) for n in sizes}):
            baselines[receiving] = Baseline(messages * len(sizes) + 1)
            await baselines[receiving].open(stack, receiving)
        gc.collect()
        gc.freeze()
        mine: dict[int, list[float]] = {n: [] for n in sizes}
        theirs: dict[int, list[float]] = {n: [] for n in sizes}
        serial = 10**5
        for _ in range(messages):
            for members in sizes:
                receiving = min(wanted, members - 1)
                tally.expected = receiving
                serial += 1
                tally.begin(serial)
                await sender.ask(text(group_of(members), serial))
                got = await until_all(tally, serial)
                if got is not None:
                    mine[members].append(got)
                got = await baselines[receiving].once()
                if got is not None:
                    theirs[members].append(got)
        gc.unfreeze()
    for members in sizes:
        row = rows[members]
        receiving = min(wanted, members - 1)
        row.update(
            online_for_fanout=receiving,
            send_ms_p50=median_ms(sends[members]),
            pull_ms_p50=median_ms(reads[members]),
            count_ms_p50=median_ms(counts[members]),
            fanout_ms_p50=median_ms(mine[members]),
            broadcast_ms_p50=median_ms(theirs[members]),
            deliveries_per_second=receiving * len(mine[members]) / sum(mine[members])
            if mine[members]
            else 0.0,
            broadcast_deliveries_per_second=receiving * len(theirs[members]) / sum(theirs[members])
            if theirs[members]
            else 0.0,
            lost=messages - len(mine[members]),
        )
    return {"rows": [rows[n] for n in sizes]}


async def run(sizes: Sequence[int], online: int, messages: int, pulls: int) -> dict[str, Any]:
    """Measure every size; the ratios to the first."""
    raise_fd_limit(3 * online)
    with tempfile.TemporaryDirectory(prefix="imkit-bench-") as root:
        figures = await measure(Path(root), sizes, online, messages, pulls)
    rows = figures["rows"]
    first = rows[0]

    def ratio(a: float, b: float) -> float:
        return a / b if b else 0.0

    for row in rows:
        row["send_ratio"] = ratio(row["send_ms_p50"], first["send_ms_p50"])
        row["pull_ratio"] = ratio(row["pull_ms_p50"], first["pull_ms_p50"])
        row["count_ratio"] = ratio(row["count_ms_p50"], first["count_ms_p50"])
        row["fanout_vs_broadcast"] = ratio(
            row["deliveries_per_second"], row["broadcast_deliveries_per_second"]
        )
        previous = rows[rows.index(row) - 1] if row is not first else None
        grown = row["members"] - (previous["members"] if previous else 0)
        taken = row["rss_kib"] - (previous["rss_kib"] if previous else 0)
        # The first group's RSS holds the server's own start; growth is quoted after it.
        row["rss_bytes_per_member"] = taken * 1024 / grown if previous else 0.0
    return {"online": online, "messages": messages, "pulls": pulls, "rows": rows}


def render(figures: dict[str, Any]) -> str:
    """The figures as a table and the ratios."""
    lines = [
        f"ultra group, {figures['messages']} messages, {figures['pulls']} pulls and counts;"
        f" send cost with {SEND_ONLINE} online, fan-out with up to {figures['online']} online",
        f"{'members':>9}{'send ms':>9}{'x':>6}{'pull ms':>9}{'x':>6}{'count ms':>10}{'x':>6}"
        f"{'RSS MiB':>9}{'B/member':>10}{'online':>8}{'fan-out/broadcast':>19}",
    ]
    for row in figures["rows"]:
        lines.append(
            f"{row['members']:>9}{row['send_ms_p50']:>9.2f}{row['send_ratio']:>6.2f}"
            f"{row['pull_ms_p50']:>9.2f}{row['pull_ratio']:>6.2f}{row['count_ms_p50']:>10.2f}"
            f"{row['count_ratio']:>6.2f}{row['rss_kib'] / 1024:>9.1f}"
            f"{row['rss_bytes_per_member']:>10.0f}{row['online_for_fanout']:>8}"
            f"{row['fanout_vs_broadcast']:>18.2f}x"
        )
    lines.append(
        "aims: send cost flat (<= 1.2x the 100-member group), fan-out >= 0.8x"
        " websockets.broadcast's deliveries per second"
    )
    return "\n".join(lines)


def sizes_of(value: str) -> list[int]:
    """argparse type: comma-separated group sizes, each at least 2."""
    sizes = [int(part) for part in value.split(",") if part.strip()]
    if not sizes or min(sizes) < 2:
        raise argparse.ArgumentTypeError("sizes of at least 2, comma-separated")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, run the benchmark and print the figures. Returns 0 either way."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=sizes_of, default=[100, 10_000, 100_000])
    parser.add_argument("--online", type=positive_int, default=1000, help="online for fan-out")
    parser.add_argument("--messages", type=positive_int, default=30, help="messages per measure")
    parser.add_argument("--pulls", type=positive_int, default=30, help="pulls and counts")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    figures = asyncio.run(run(sorted(args.sizes), args.online, args.messages, args.pulls))
    print(json.dumps(figures) if args.json else render(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
