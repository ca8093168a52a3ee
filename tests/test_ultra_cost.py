"""No cost that grows with a channel's history on an ultra group's per-message paths.

The same operations (send and push, pull forward and back, mark read, the ultra sync
that counts unread and mentions by read diffusion) run against a channel of 100 messages
and one of 100,000, and the SQLite virtual-machine steps of both store connections are
compared, as tests/test_server_history_cost.py does for private chats.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from imkit_tui.protocol import (
    ConvRef,
    MarkRead,
    PullReply,
    PullRequest,
    SendAck,
    SendMessage,
    UltraInfo,
    UltraRequest,
    UltraSync,
    UltraSynced,
    UltraUpdate,
)
from imkit_tui.protocol.clock import now_ms
from tests.conftest import ServerHandle
from tests.test_server_history_cost import LARGE, SMALL, Steps

CONV = ConvRef(type=10, target="big")


def _seed(path: Path, total: int) -> None:
    """Grow the default channel of ultra group "big" to `total` counted messages."""
    with sqlite3.connect(path) as conn:
        (key,) = conn.execute(
            "SELECT conv_key FROM ultra_channels WHERE group_id = 'big' AND channel = ''"
        ).fetchone()
        conv_id, max_seq = conn.execute(
            "SELECT id, max_seq FROM conversations WHERE key = ?", (key,)
        ).fetchone()
        start = now_ms() - total
        seqs = range(max_seq + 1, total + 1)
        conn.executemany(
            "INSERT INTO messages(conv_id, seq, uid, sender, cmid, object_name, content, sent_at)"
            " VALUES (?, ?, ?, 'alice', ?, 'RC:TxtMsg', '{\"content\":\"seeded\"}', ?)",
            ((conv_id, seq, f"seed-{seq:08d}", f"c{seq}", start + seq) for seq in seqs),
        )
        conn.executemany(
            "INSERT INTO ultra_counted(conv_id, seq, sender, mention_all, mentioned)"
            " VALUES (?, ?, 'alice', ?, '')",
            ((conv_id, seq, int(seq % 10 == 0)) for seq in seqs),
        )
        conn.execute(
            "UPDATE conversations SET max_seq = ?, last_at = ? WHERE id = ?",
            (total, start + total, conv_id),
        )


async def _measure(tmp_path: Path, total: int) -> dict[str, int]:
    handle = ServerHandle(tmp_path / f"srv{total}", revocation_check_seconds=3600.0)
    await handle.start()
    alice, bob = await handle.login("alice"), await handle.login("bob")
    made = await alice.request(UltraRequest(group="big", op="create", pre_join_history=True))
    assert isinstance(made, UltraInfo)
    assert isinstance(await bob.request(UltraRequest(group="big", op="join")), UltraInfo)
    await alice.close()
    await bob.close()
    await handle.stop()
    _seed(handle.data_dir / "server.db", total)

    server = await handle.start()
    steps = Steps()
    alice, bob = await handle.login("alice"), await handle.login("bob")
    count = iter(range(10**6))
    try:

        async def send() -> None:
            answer = await alice.request(
                SendMessage(
                    conv=CONV,
                    object_name="RC:TxtMsg",
                    content={"content": "hi"},
                    cmid=f"s{next(count)}",
                )
            )
            assert isinstance(answer, SendAck), answer
            await bob.next_push()

        await send()  # loads the channel's cache
        assert isinstance(await bob.request(MarkRead(conv=CONV, seq=total - 5)), UltraUpdate)
        await steps.attach(server)
        top = total + 1

        async def pull_new() -> None:
            answer = await bob.request(PullRequest(conv=CONV, after_seq=top - 5, limit=50))
            assert isinstance(answer, PullReply) and answer.messages

        async def pull_old() -> None:
            answer = await bob.request(PullRequest(conv=CONV, before_seq=top, limit=50))
            assert isinstance(answer, PullReply) and len(answer.messages) == 50

        async def mark_read() -> None:
            assert isinstance(await bob.request(MarkRead(conv=CONV, seq=total - 3)), UltraUpdate)

        async def counts() -> None:
            answer = await bob.request(UltraSync())
            assert isinstance(answer, UltraSynced)
            assert answer.groups[0].unread > 0

        return {
            "send and push": await steps.of(send),
            "pull newest": await steps.of(pull_new),
            "pull a page back": await steps.of(pull_old),
            "mark read": await steps.of(mark_read),
            "count unread and mentions": await steps.of(counts),
        }
    finally:
        await alice.close()
        await bob.close()
        await handle.stop()


async def test_ultra_paths_cost_the_same_at_100_and_100000_messages(tmp_path: Path) -> None:
    small = await _measure(tmp_path, SMALL)
    large = await _measure(tmp_path, LARGE)
    for operation, steps in small.items():
        assert steps > 0, f"{operation}: nothing measured"
        assert large[operation] <= steps * 1.1 + 20, (operation, steps, large[operation])
