"""No cost that grows with a room's history on its per-message paths: a send kept as
history, a join with its latest messages, and a member's backward pull, at 100 and at
100,000 kept messages, compared by the SQLite steps they take (as
tests/test_server_history_cost.py does for conversations)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from imkit_tui.protocol import ChatroomJoin, ChatroomJoined, ConvRef, PullReply, PullRequest
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.chatrooms.settings import ChatroomSettings
from tests.conftest import ServerHandle
from tests.test_chatrooms import text
from tests.test_server_history_cost import Steps

SMALL, LARGE = 100, 100_000
ROOM = "live"


def _seed(path: Path, total: int) -> None:
    """Keep `total` messages of the room, sent before anyone now in it joined."""
    start = now_ms() - total
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO chatroom_messages(room, seq, uid, sender, object_name, content, cmid,"
            " sent_at) VALUES (?, ?, ?, 'old', 'RC:TxtMsg', '{\"content\":\"seeded\"}', ?, ?)",
            ((ROOM, seq, f"seed-{seq:08d}", f"c{seq}", start + seq) for seq in range(1, total + 1)),
        )


async def _measure(tmp_path: Path, total: int) -> dict[str, int]:
    handle = ServerHandle(
        tmp_path / f"srv{total}",
        revocation_check_seconds=3600.0,
        chatrooms=ChatroomSettings(history=True, sweep_seconds=3600.0),
    )
    await handle.start()
    await handle.stop()
    _seed(handle.data_dir / "server.db", total)
    server = await handle.start()
    alice, bob = await handle.login("alice"), await handle.login("bob")
    try:
        assert isinstance(await alice.request(ChatroomJoin(room=ROOM, history=-1)), ChatroomJoined)
        assert isinstance(await bob.request(ChatroomJoin(room=ROOM, history=-1)), ChatroomJoined)
        for i in range(5):
            await alice.request(text(f"warm{i}"))
        await server.chatrooms.close()
        steps = Steps()
        await steps.attach(server)

        async def send() -> None:
            await alice.request(text("hello"))
            await bob.next_push()
            await server.chatrooms.close()  # its history write, on the writer

        async def join() -> None:
            assert isinstance(
                await bob.request(ChatroomJoin(room=ROOM, history=50)), ChatroomJoined
            )

        async def pull() -> None:
            page = await bob.request(
                PullRequest(conv=ConvRef(type=4, target=ROOM), before_seq=total + 100, limit=50)
            )
            assert isinstance(page, PullReply) and len(page.messages) == 6, page

        return {
            "send": await steps.of(send),
            "join": await steps.of(join),
            "pull": await steps.of(pull),
        }
    finally:
        await alice.close()
        await bob.close()
        await handle.stop()


async def test_a_rooms_paths_cost_the_same_at_100_and_100_000_kept_messages(
    tmp_path: Path,
) -> None:
    small = await _measure(tmp_path, SMALL)
    large = await _measure(tmp_path, LARGE)
    for path, steps in small.items():
        assert large[path] <= steps * 2 + 200, (path, small, large)
