"""Stored files are read only by those a message gave them to; uploads are bounded per user."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from PIL import Image

from imkit_tui import messages
from imkit_tui.core import IMClient
from imkit_tui.core.message_files import media_url_of
from imkit_tui.protocol import (
    ConvRef,
    DownloadChunk,
    DownloadRequest,
    ErrorCode,
    ErrorFrame,
    GroupInfo,
    GroupRequest,
    Recall,
    SendAck,
    SendMessage,
    ServerFrame,
    UploadChunk,
    UploadStart,
    UploadState,
    media_url,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.upload_quota import UploadQuota
from tests.conftest import ClientFactory, ServerHandle, running_server, until_client
from tests.wire import WireClient

DAY_MS = 24 * 60 * 60 * 1000


async def _upload(client: WireClient, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    state = await client.request(UploadStart(sha256=digest, size=len(data)))
    assert isinstance(state, UploadState), state
    if not state.done:
        state = await client.request(UploadChunk(sha256=digest, offset=0, data=data))
    assert isinstance(state, UploadState) and state.done, state
    return digest


async def _send_file(client: WireClient, conv: ConvRef, digest: str, cmid: str) -> ServerFrame:
    content = {"name": "notes.txt", "size": 10, "type": "txt", "fileUrl": media_url(digest)}
    return await client.request(
        SendMessage(conv=conv, object_name=messages.FILE, content=content, cmid=cmid)
    )


async def _reads(client: WireClient, digest: str) -> bool:
    answer = await client.request(DownloadRequest(sha256=digest, offset=0, length=100))
    if isinstance(answer, ErrorFrame):
        assert answer.code == ErrorCode.MEDIA_NOT_FOUND, answer
        return False
    assert isinstance(answer, DownloadChunk)
    return True


async def test_only_those_a_message_gave_a_file_to_may_read_it(
    server_handle: ServerHandle,
) -> None:
    alice, bob, eve = [await server_handle.login(u) for u in ("alice", "bob", "eve")]
    try:
        digest = await _upload(alice, os.urandom(5000))
        assert await _reads(alice, digest)  # the uploader
        assert not await _reads(bob, digest)  # not sent to bob yet
        sent = await _send_file(alice, ConvRef.private("bob"), digest, "f1")
        assert isinstance(sent, SendAck)
        assert await _reads(bob, digest)
        assert not await _reads(eve, digest)  # knows the sha256, was never sent it

        # Announcing the file tells eve nothing: she is asked for the bytes, as for any
        # file the server does not hold.
        probe = await eve.request(UploadStart(sha256=digest, size=5000))
        assert isinstance(probe, UploadState) and not probe.done and probe.offset == 0
        unknown = hashlib.sha256(b"never stored").hexdigest()
        other = await eve.request(UploadStart(sha256=unknown, size=12))
        assert isinstance(other, UploadState) and not other.done and other.offset == 0

        # Nor can she name the file in a message of her own to get at it.
        crafted = await _send_file(eve, ConvRef.private("eve"), digest, "e1")
        assert isinstance(crafted, ErrorFrame) and crafted.code == ErrorCode.MEDIA_NOT_FOUND
        assert not await _reads(eve, digest)

        # Bob may pass it on: he was sent it.
        forwarded = await _send_file(bob, ConvRef.private("carol"), digest, "b1")
        assert isinstance(forwarded, SendAck)

        # Recalled, it is bob's no more (alice uploaded it, and keeps it for a day).
        recalled = await alice.request(Recall(conv=ConvRef.private("bob"), uid=sent.uid))
        assert isinstance(recalled, SendAck)
        assert await _reads(bob, digest)  # still in what bob sent carol
        await bob.request(Recall(conv=ConvRef.private("carol"), uid=forwarded.uid))
        assert not await _reads(bob, digest)
        assert await _reads(alice, digest)
    finally:
        for client in (alice, bob, eve):
            await client.close()


async def test_group_files_follow_membership(server_handle: ServerHandle) -> None:
    alice, bob, carol = [await server_handle.login(u) for u in ("alice", "bob", "carol")]
    team = ConvRef.group("team")
    try:
        made = await alice.request(
            GroupRequest(group="team", op="create", members=["bob", "carol"])
        )
        assert isinstance(made, GroupInfo)
        before = await _upload(alice, os.urandom(3000))
        assert isinstance(await _send_file(alice, team, before, "g1"), SendAck)
        await alice.request(GroupRequest(group="team", op="kick", members=["carol"]))
        after = await _upload(alice, os.urandom(3000))
        assert isinstance(await _send_file(alice, team, after, "g2"), SendAck)

        assert await _reads(bob, before) and await _reads(bob, after)
        assert await _reads(carol, before)  # what she was sent while a member
        assert not await _reads(carol, after)
    finally:
        for client in (alice, bob, carol):
            await client.close()


async def test_files_nothing_names_are_deleted(server_handle: ServerHandle) -> None:
    server = server_handle.server
    assert server is not None
    alice = await server_handle.login("alice")
    try:
        kept = await _upload(alice, os.urandom(2000))
        sent = await _send_file(alice, ConvRef.private("bob"), kept, "k1")
        assert isinstance(sent, SendAck)
        dropped = await _upload(alice, os.urandom(2000))
        gone = await _send_file(alice, ConvRef.private("bob"), dropped, "d1")
        assert isinstance(gone, SendAck)
        await alice.request(Recall(conv=ConvRef.private("bob"), uid=gone.uid))
        unsent = await _upload(alice, os.urandom(2000))
    finally:
        await alice.close()

    # Within a day the uploader still holds all three; after it, only what a message names.
    assert await server.collect_unreferenced_files() == 0
    assert await server.collect_unreferenced_files(now_ms() + DAY_MS + 60_000) == 2
    assert server.media.path(kept).is_file()
    assert not server.media.path(dropped).exists()
    assert not server.media.path(unsent).exists()


async def test_uploads_are_bounded_per_user(tmp_path: Path) -> None:
    quota = UploadQuota(max_open=2, max_pending_bytes=10_000, bytes_per_day=20_000)
    async with running_server(tmp_path / "server", upload_quota=quota) as handle:
        server = handle.server
        assert server is not None
        mallory, bob = await handle.login("mallory"), await handle.login("bob")
        try:
            first = hashlib.sha256(b"1").hexdigest()
            second = hashlib.sha256(b"2").hexdigest()
            assert isinstance(
                await mallory.request(UploadStart(sha256=first, size=4000)), UploadState
            )
            too_big = await mallory.request(UploadStart(sha256=second, size=7000))
            assert isinstance(too_big, ErrorFrame) and too_big.code == ErrorCode.RATE_LIMITED
            assert isinstance(
                await mallory.request(UploadStart(sha256=second, size=10)), UploadState
            )
            third = await mallory.request(UploadStart(sha256="3" * 64, size=10))
            assert isinstance(third, ErrorFrame) and third.code == ErrorCode.RATE_LIMITED
            assert "unfinished uploads" in third.message
            # Others are not held back by mallory.
            assert await _upload(bob, os.urandom(3000))

            # Chunks for uploads never announced are refused and leave nothing behind.
            before = server.media.unfinished
            for n in range(300):
                digest = hashlib.sha256(str(n).encode()).hexdigest()
                await mallory.send_frame(
                    UploadChunk(id=1000 + n, sha256=digest, offset=0, data=b"x")
                )
            refused = await mallory.request(UploadChunk(sha256="f" * 64, offset=0, data=b"x"))
            assert isinstance(refused, ErrorFrame)
            assert server.media.unfinished == before

            # A day's bytes.
            for n in range(3):
                data = os.urandom(4500) + bytes([n])
                await _upload(bob, data)
            over = os.urandom(4500)
            digest = hashlib.sha256(over).hexdigest()
            await bob.request(UploadStart(sha256=digest, size=len(over)))
            late = await bob.request(UploadChunk(sha256=digest, offset=0, data=over))
            assert isinstance(late, ErrorFrame) and late.code == ErrorCode.RATE_LIMITED
        finally:
            await mallory.close()
            await bob.close()


async def test_an_upload_belongs_to_its_uploader(server_handle: ServerHandle) -> None:
    bob, mallory = await server_handle.login("bob"), await server_handle.login("mallory")
    data = os.urandom(50_000)
    digest = hashlib.sha256(data).hexdigest()
    try:
        await bob.request(UploadStart(sha256=digest, size=len(data)))
        half = await bob.request(UploadChunk(sha256=digest, offset=0, data=data[:25_000]))
        assert isinstance(half, UploadState) and half.offset == 25_000
        # Mallory announces the same hash with another size and writes garbage.
        await mallory.request(UploadStart(sha256=digest, size=10))
        await mallory.request(UploadChunk(sha256=digest, offset=0, data=b"0123456789"))
        rest = await bob.request(UploadChunk(sha256=digest, offset=25_000, data=data[25_000:]))
        assert isinstance(rest, UploadState) and rest.done
        chunk = await bob.request(DownloadRequest(sha256=digest, offset=0, length=50_000))
        assert isinstance(chunk, DownloadChunk)
        assert chunk.data == data
    finally:
        await bob.close()
        await mallory.close()


async def test_a_merged_forward_gives_the_pictures_inside_it(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice, bob, carol = [await make_client(u) for u in ("alice", "bob", "carol")]
    picture = tmp_path / "photo.png"
    Image.new("RGB", (40, 30), (10, 200, 10)).save(picture)
    sent = await alice.files.send(ConvRef.private("bob"), picture)
    await alice.wait_sent([sent.id], timeout=10)
    await until_client(bob, lambda: _holds(bob, ConvRef.private("alice"), 1))
    (image,) = await bob.messages(ConvRef.private("alice"))

    (merged,) = await bob.files.forward([image], [ConvRef.private("carol")], merged=True)
    (done,) = await bob.wait_sent([merged.id], timeout=10)
    assert done.uid
    await until_client(carol, lambda: _holds(carol, ConvRef.private("bob"), 1))
    # Carol never got alice's message, yet the picture inside bob's forward is hers.
    path = await carol.files.fetch(media_url_of(messages.IMAGE, image.content) or "")
    assert path.read_bytes() == picture.read_bytes()


async def _holds(client: IMClient, conv: ConvRef, count: int) -> bool:
    return len(await client.messages(conv)) >= count
