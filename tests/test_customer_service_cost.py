"""No cost that grows with a customer-service conversation's length on its per-message
paths: the robot answering, the agent's reply and pull, run against a conversation of
100 messages and one of 100,000, compared in SQLite VM steps (tests/test_server_history_cost.py
has the method)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from imkit_tui import messages
from imkit_tui.protocol import ConversationType, ConvRef, PullReply, PullRequest, SendAck
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.customer_service.records import cs_key
from tests.conftest import ServerHandle
from tests.cs_helpers import Inbox, server_overrides
from tests.test_server_history_cost import LARGE, SMALL, Steps


def _seed(path: Path, total: int) -> None:
    """Grow alice's conversation with the service to `total` messages."""
    with sqlite3.connect(path) as conn:
        conv_id, max_seq = conn.execute(
            "SELECT id, max_seq FROM conversations WHERE key = ?", (cs_key("alice"),)
        ).fetchone()
        start = now_ms() - total
        conn.executemany(
            "INSERT INTO messages(conv_id, seq, uid, sender, cmid, object_name, content, sent_at)"
            " VALUES (?, ?, ?, ?, ?, 'RC:TxtMsg', '{\"content\":\"seeded\"}', ?)",
            (
                (conv_id, seq, f"seed-{seq:08d}", "alice", f"c{seq}", start + seq)
                for seq in range(max_seq + 1, total + 1)
            ),
        )
        conn.execute(
            "UPDATE conversations SET max_seq = ?, last_at = ? WHERE id = ?",
            (total, start + total, conv_id),
        )


async def _measure(tmp_path: Path, total: int) -> dict[str, int]:
    handle = ServerHandle(
        tmp_path / f"srv{total}", revocation_check_seconds=3600.0, **server_overrides()
    )
    await handle.start()
    alice = Inbox(await handle.login("alice"))
    await alice.send(messages.TEXT, {"content": "first"})
    await alice.push(messages.TEXT)  # the welcome
    await alice.wire.close()
    await handle.stop()
    _seed(handle.data_dir / "server.db", total)

    server = await handle.start()
    steps = Steps()
    alice = Inbox(await handle.login("alice"))
    carol = Inbox(await handle.login("carol"))
    seen = ConvRef(type=ConversationType.CUSTOMER_SERVICE, target="alice")
    try:
        await alice.send(messages.TEXT, {"content": "how do I recall"})  # a new session
        await alice.push(messages.TEXT)  # the welcome
        await alice.push(messages.TEXT)  # the answer: caches warm
        await steps.attach(server)

        async def robot() -> None:
            await alice.send(messages.TEXT, {"content": "how do I attach a file"})
            await alice.push(messages.TEXT)

        async def handover() -> None:
            await alice.send(messages.CS_CHANGE_MODE, {})
            await carol.push(messages.INFO_NTF)

        async def reply() -> None:
            assert isinstance(await carol.send(messages.TEXT, {"content": "hi"}, seen), SendAck)
            await alice.push(messages.TEXT)

        async def pull() -> None:
            answer = await carol.wire.request(PullRequest(conv=seen, before_seq=total, limit=50))
            assert isinstance(answer, PullReply) and len(answer.messages) == 50

        return {
            "the robot answers": await steps.of(robot),
            "an agent takes over": await steps.of(handover),
            "the agent replies": await steps.of(reply),
            "the agent pulls a page back": await steps.of(pull),
        }
    finally:
        await alice.wire.close()
        await carol.wire.close()
        await handle.stop()


async def test_customer_service_paths_cost_the_same_at_100_and_100000_messages(
    tmp_path: Path,
) -> None:
    small = await _measure(tmp_path, SMALL)
    large = await _measure(tmp_path, LARGE)
    for operation, steps in small.items():
        assert steps > 0, f"{operation}: nothing measured"
        assert large[operation] <= steps * 1.1 + 20, (operation, steps, large[operation])
