"""The server's WAL stays bounded under a sustained write and shrinks back to its limit."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from imkit_tui.server.store import Member, NewMessage, ServerStore, private_key

LIMIT = 1024 * 1024
ROUNDS = 120
PER_ROUND = 50


def _size(path: Path) -> int:
    return path.stat().st_size


async def test_the_wal_stays_near_its_limit_under_a_sustained_write(tmp_path: Path) -> None:
    path = tmp_path / "server.db"
    wal = Path(f"{path}-wal")
    store = await ServerStore.open(path, wal_limit_bytes=LIMIT)
    sizes: list[int] = []
    text = '{"content":"' + "x" * 200 + '"}'
    try:
        for round_ in range(ROUNDS):
            # One turn's worth of sends in 50 conversations, batch after batch: the
            # writer never pauses by itself, as under a steady load.
            await asyncio.gather(
                *(
                    store.append(
                        NewMessage(
                            conv_type=1,
                            conv_key=private_key(f"u{i}", "bob"),
                            members=(Member(f"u{i}", "bob"), Member("bob", f"u{i}")),
                            sender=f"u{i}",
                            cmid=f"{round_}-{i}",
                            object_name="RC:TxtMsg",
                            content_json=text,
                            now_ms=1_000 + round_,
                        )
                    )
                    for i in range(PER_ROUND)
                )
            )
            sizes.append(_size(wal))
        written = ROUNDS * PER_ROUND
        # Without the limit this run leaves a WAL of several megabytes (every batch
        # rewrites ~150 pages); with it the WAL starts over each time it passes LIMIT.
        assert store.wal_resets >= 3, "the sustained write never reached the limit"
        assert max(sizes) < 2 * LIMIT, f"WAL reached {max(sizes)} bytes for {written} messages"
        # Started over, and cut back to the limit (journal_size_limit), not left large.
        assert any(later < earlier for earlier, later in itertools.pairwise(sizes))
        count = await store._reader.fetch_one("SELECT COUNT(*) FROM messages")
        assert count == (written,)
    finally:
        await store.close()
