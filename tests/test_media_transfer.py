"""Files end to end: upload, resume, download, integrity, limits, and what a sender is told."""

from __future__ import annotations

import asyncio
import hashlib
import io
import math
import os
import struct
import wave
from pathlib import Path

import pytest
from PIL import Image

from imkit_tui import messages
from imkit_tui.core import IMClient, MessagesReceived, SendStatus
from imkit_tui.core.attachments import AttachmentError
from imkit_tui.core.events import TransferProgress
from imkit_tui.core.message_files import media_url_of
from imkit_tui.core.transfer import TransferError
from imkit_tui.media.probe import MediaKind
from imkit_tui.protocol import (
    ConvRef,
    DownloadChunk,
    DownloadRequest,
    ErrorCode,
    ErrorFrame,
    UploadChunk,
    UploadStart,
    UploadState,
    media_url,
)
from tests.conftest import ClientFactory, ServerHandle
from tests.wire import WireClient


def _png(path: Path, size: tuple[int, int] = (64, 48)) -> Path:
    image = Image.new("RGB", size)
    for x in range(size[0]):
        for y in range(size[1]):
            image.putpixel((x, y), (x * 4 % 256, y * 5 % 256, 128))
    image.save(path, format="PNG")
    return path


def _wav(path: Path, seconds: float, rate: int = 8000) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = int(seconds * rate)
        samples = (int(8000 * math.sin(i / 10)) for i in range(frames))
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return path


async def _received(client: IMClient, object_name: str, timeout: float = 10) -> list:
    with client.subscribe() as events:
        async with asyncio.timeout(timeout):
            while True:
                event = await events.next()
                if isinstance(event, MessagesReceived):
                    found = [m for m in event.messages if m.object_name == object_name]
                    if found:
                        return found


async def test_an_image_arrives_with_its_thumbnail_and_downloads_intact(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice, bob = await make_client("alice"), await make_client("bob")
    original = _png(tmp_path / "photo.png", (400, 300))
    progress: list[TransferProgress] = []
    waiting = asyncio.ensure_future(_received(bob, messages.IMAGE))
    with alice.subscribe() as events:
        sent = await alice.files.send(ConvRef.private("bob"), original)
        (done,) = await alice.wait_sent([sent.id], timeout=10)
        while not events.queue.empty():
            event = events.queue.get_nowait()
            if isinstance(event, TransferProgress):
                progress.append(event)
    assert done.status == SendStatus.SENT
    assert progress and progress[-1].upload and progress[-1].fraction == 1.0
    (received,) = await waiting
    assert "localPath" not in received.content
    url = media_url_of(messages.IMAGE, received.content)
    assert url == media_url(hashlib.sha256(original.read_bytes()).hexdigest())
    assert Image.open(io.BytesIO(_b64(received.content["content"]))).size[0] <= 240
    assert bob.files.local(received) is None
    path = await bob.files.download(received)
    assert (
        hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(original.read_bytes()).digest()
    )
    assert bob.files.local(received) == path
    # The sender's own copy is the original file: nothing to download.
    assert alice.files.local(done) == original


def _b64(text: str) -> bytes:
    import base64

    return base64.b64decode(text)


async def test_the_same_file_twice_is_stored_once(
    make_client: ClientFactory, server_handle: ServerHandle, tmp_path: Path
) -> None:
    alice = await make_client("alice")
    original = tmp_path / "report.pdf"
    original.write_bytes(b"%PDF-1.4\n" + os.urandom(300_000))
    first = await alice.files.send(ConvRef.private("bob"), original)
    second = await alice.files.send(ConvRef.private("carol"), original)
    sent = await alice.wait_sent([first.id, second.id], timeout=10)
    assert [m.status for m in sent] == [SendStatus.SENT, SendStatus.SENT]
    assert sent[0].content["fileUrl"] == sent[1].content["fileUrl"]
    assert sent[0].object_name == messages.FILE
    assert sent[0].content["name"] == "report.pdf" and sent[0].content["size"] == 300_009
    stored = [p for p in (server_handle.data_dir / "media").rglob("*") if p.is_file()]
    assert len(stored) == 1


async def test_what_cannot_be_sent_is_refused_with_a_reason(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice = await make_client("alice")
    bob = ConvRef.private("bob")
    with pytest.raises(AttachmentError, match="No such file"):
        await alice.files.send(bob, tmp_path / "missing.png")
    notes = tmp_path / "notes.png"
    notes.write_text("not a picture at all")
    with pytest.raises(AttachmentError, match=r"notes\.png is not an image"):
        await alice.files.send(bob, notes, MediaKind.IMAGE)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(AttachmentError, match="empty"):
        await alice.files.send(bob, empty)
    with pytest.raises(AttachmentError, match="at most 60 s"):
        await alice.files.send(bob, _wav(tmp_path / "long.wav", 61), MediaKind.VOICE)
    with pytest.raises(AttachmentError, match="not an audio file"):
        await alice.files.send(bob, _png(tmp_path / "x.png"), MediaKind.VOICE)
    with pytest.raises(AttachmentError, match="not a video"):
        await alice.files.send(bob, notes, MediaKind.VIDEO)
    # Nothing was queued by any of them.
    assert await alice.store.outbox.count() == 0


async def test_voice_carries_duration_and_waveform(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    alice = await make_client("alice")
    sent = await alice.files.send(ConvRef.private("bob"), _wav(tmp_path / "hi.wav", 3.2))
    assert sent.object_name == messages.VOICE
    assert sent.content["duration"] == 3
    assert len(sent.content["waveform"]) > 0
    (done,) = await alice.wait_sent([sent.id], timeout=10)
    assert done.status == SendStatus.SENT and done.content["remoteUrl"].startswith("imkit-media:")


async def test_server_limit_refuses_large_files(tmp_path: Path) -> None:
    handle = ServerHandle(tmp_path / "server", max_upload_bytes=10_000)
    await handle.start()
    try:
        client = IMClient(
            server_url=handle.url,
            token=handle.token("alice"),
            store_path=tmp_path / "alice.db",
            request_timeout=5,
        )
        await client.start()
        try:
            await client.wait_synced(timeout=10)
            big = tmp_path / "big.bin"
            big.write_bytes(os.urandom(20_000))
            with pytest.raises(AttachmentError, match=r"up to 9\.8 KB"):
                await client.files.send(ConvRef.private("bob"), big)
        finally:
            await client.close()
        wire = await WireClient.login(handle.url, handle.token("alice"))
        try:
            reply = await wire.request(UploadStart(sha256="a" * 64, size=20_000))
            assert isinstance(reply, ErrorFrame) and reply.code == ErrorCode.MEDIA_TOO_LARGE
        finally:
            await wire.close()
    finally:
        await handle.stop()


async def test_a_file_deleted_before_upload_fails_its_message(
    make_client: ClientFactory, server_handle: ServerHandle, tmp_path: Path
) -> None:
    alice = await make_client("alice")
    doomed = tmp_path / "doomed.txt"
    doomed.write_text("soon gone")
    await server_handle.stop()  # hold the outbox until the file is gone
    message = await alice.files.send(ConvRef.private("bob"), doomed)
    doomed.unlink()
    await server_handle.start()
    (done,) = await alice.wait_sent([message.id], timeout=15)
    assert done.status == SendStatus.FAILED
    assert done.error == ErrorCode.MEDIA_MISSING_LOCALLY


async def test_upload_resumes_and_checks_the_hash(server_handle: ServerHandle) -> None:
    data = os.urandom(200_000)
    digest = hashlib.sha256(data).hexdigest()
    first = await WireClient.login(server_handle.url, server_handle.token("alice"))
    state = await first.request(UploadStart(sha256=digest, size=len(data)))
    assert isinstance(state, UploadState) and state.offset == 0 and not state.done
    state = await first.request(UploadChunk(sha256=digest, offset=0, data=data[:80_000]))
    assert isinstance(state, UploadState) and state.offset == 80_000
    await first.close()  # the connection drops mid-upload

    second = await WireClient.login(server_handle.url, server_handle.token("alice"))
    try:
        state = await second.request(UploadStart(sha256=digest, size=len(data)))
        assert isinstance(state, UploadState) and state.offset == 80_000
        # A repeated chunk is not written twice: the server says where it stands.
        state = await second.request(UploadChunk(sha256=digest, offset=0, data=data[:1000]))
        assert isinstance(state, UploadState) and state.offset == 80_000
        state = await second.request(UploadChunk(sha256=digest, offset=80_000, data=data[80_000:]))
        assert isinstance(state, UploadState) and state.done and state.url == media_url(digest)
        chunk = await second.request(DownloadRequest(sha256=digest, offset=199_990, length=100))
        assert isinstance(chunk, DownloadChunk) and chunk.data == data[199_990:]
        assert chunk.total == len(data)

        # Bytes that do not match the announced hash are thrown away.
        wrong = hashlib.sha256(b"something else").hexdigest()
        await second.request(UploadStart(sha256=wrong, size=5))
        refused = await second.request(UploadChunk(sha256=wrong, offset=0, data=b"hello"))
        assert isinstance(refused, ErrorFrame) and refused.code == ErrorCode.MEDIA_CORRUPT
        missing = await second.request(DownloadRequest(sha256=wrong))
        assert isinstance(missing, ErrorFrame) and missing.code == ErrorCode.MEDIA_NOT_FOUND
        # The connection is still good.
        again = await second.request(UploadStart(sha256=digest, size=len(data)))
        assert isinstance(again, UploadState) and again.done
    finally:
        await second.close()


async def test_download_of_an_unknown_file_says_so(make_client: ClientFactory) -> None:
    bob = await make_client("bob")
    with pytest.raises(TransferError):
        await bob.transfers.download(media_url("b" * 64))
    with pytest.raises(TransferError):
        await bob.transfers.download("ftp://example.invalid/x")


async def test_location_and_any_type_as_json(make_client: ClientFactory) -> None:
    alice = await make_client("alice")
    sent = await alice.files.send_location(
        ConvRef.private("bob"), 31.2304, 121.4737, "People's Square"
    )
    assert messages.summarize(sent.object_name, sent.content) == "[Location] People's Square"
    with pytest.raises(AttachmentError, match="Latitude"):
        await alice.files.send_location(ConvRef.private("bob"), 91, 0)


async def test_abandoned_uploads_are_pruned(server_handle: ServerHandle) -> None:
    server = server_handle.server
    assert server is not None
    wire = await WireClient.login(server_handle.url, server_handle.token("alice"))
    try:
        digest = hashlib.sha256(b"never finished").hexdigest()
        await wire.request(UploadStart(sha256=digest, size=14))
        await wire.request(UploadChunk(sha256=digest, offset=0, data=b"never"))
    finally:
        await wire.close()
    assert await server.media.prune_partials(max_age=3600) == 0
    assert await server.media.prune_partials(max_age=-1) == 1
    assert not list((server_handle.data_dir / "media" / "partial").iterdir())
