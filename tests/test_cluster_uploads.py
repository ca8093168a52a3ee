"""The upload quota on two nodes sharing a PostgreSQL store and the media folder: a
user's unfinished uploads, their announced bytes and the bytes of their day are counted
once for both nodes, an upload resumed through the other node counts once, and uploads
given up (their partial files removed by either node) stop counting.
They need PostgreSQL (skipped with the reason when it cannot be reached; failed under
IMKIT_REQUIRE_SERVICES).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from imkit_tui.protocol import ErrorCode, ErrorFrame, ServerFrame, UploadChunk, UploadStart
from imkit_tui.protocol import UploadState as State
from imkit_tui.server.upload_quota import UploadQuota
from tests.conftest import running_server
from tests.services import fresh_schema_url, need, postgres_missing
from tests.wire import WireClient


def _limited(answer: ServerFrame, said: str) -> bool:
    return (
        isinstance(answer, ErrorFrame)
        and answer.code == ErrorCode.RATE_LIMITED
        and said in answer.message
    )


async def _announce(client: WireClient, data: bytes) -> ServerFrame:
    return await client.request(UploadStart(sha256=hashlib.sha256(data).hexdigest(),
                                            size=len(data)))  # fmt: skip


async def _chunk(client: WireClient, data: bytes, offset: int, end: int) -> ServerFrame:
    digest = hashlib.sha256(data).hexdigest()
    return await client.request(UploadChunk(sha256=digest, offset=offset, data=data[offset:end]))


async def test_a_users_uploads_are_counted_once_for_every_node(tmp_path: Path) -> None:
    need(postgres_missing())
    quota = UploadQuota(max_open=2, max_pending_bytes=10_000, bytes_per_day=20_000)
    shared = {"store_url": fresh_schema_url(), "migrate_store": True, "upload_quota": quota}
    async with (
        running_server(tmp_path / "shared", **shared) as a,
        running_server(tmp_path / "shared", **shared) as b,
    ):
        on_a, on_b = await a.login("mallory"), await b.login("mallory", "other")
        try:
            first, second, third = (os.urandom(4000) for _ in range(3))
            assert isinstance(await _announce(on_a, first), State)
            assert _limited(await _announce(on_b, os.urandom(7000)), "at most 10000 bytes")
            half = await _chunk(on_a, first, 0, 2000)
            assert isinstance(half, State) and half.offset == 2000
            # Resumed through node b: the same upload, counted once, where a left it.
            resumed = await _announce(on_b, first)
            assert isinstance(resumed, State) and resumed.offset == 2000
            assert isinstance(await _announce(on_b, second), State)
            assert _limited(await _announce(on_a, third), "at most 2 unfinished uploads")
            done = await _chunk(on_b, first, 2000, 4000)
            assert isinstance(done, State) and done.done
            assert isinstance(await _announce(on_a, third), State)  # first's room is free

            # Given up: node a removes the partial files, and they count no more on b.
            assert a.server is not None
            assert await a.server.media.prune_partials(max_age=-1) == 2
            fresh = [os.urandom(4000) for _ in range(2)]
            for data in fresh:
                assert isinstance(await _announce(on_b, data), State)

            # A day's bytes: 4,000 are in; 16,000 more through both nodes, then no more.
            for node, data in ((on_b, fresh[0]), (on_b, fresh[1])):
                assert isinstance(await _chunk(node, data, 0, 4000), State)
            for node in (on_a, on_a):
                data = os.urandom(4000)
                assert isinstance(await _announce(node, data), State)
                assert isinstance(await _chunk(node, data, 0, 4000), State)
            late = os.urandom(100)
            assert isinstance(await _announce(on_b, late), State)
            assert _limited(await _chunk(on_b, late, 0, 100), "a day reached")
        finally:
            await on_a.close()
            await on_b.close()
