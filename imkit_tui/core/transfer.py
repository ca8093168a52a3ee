"""File transfers over the client's connection: resumable uploads, checked downloads.

Uploads announce the file by sha256 and size; the server answers how much it already
holds, so an upload cut by a dropped connection or a killed process resumes where it
stopped, and content the server has already completes at once. Downloads go to the
media cache under their sha256, through a ``.part`` file, and are checked against the
hash before they are used. ``http(s)`` URLs (content from other senders) are fetched
too, with the same size limit. Disk and network work runs off the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from imkit_tui.core.connection import Connection, NotConnected, RequestFailed
from imkit_tui.media.checksum import file_sha256
from imkit_tui.protocol import (
    DownloadChunk,
    DownloadRequest,
    ErrorCode,
    UploadChunk,
    UploadStart,
    UploadState,
    media_sha256,
)
from imkit_tui.storage.private import open_private, private_dir

Progress = Callable[[int, int], None]
"""Called with (bytes done, bytes in all) as a transfer moves."""

HTTP_TIMEOUT = 30.0
_FRAME_OVERHEAD = 1024


class TransferError(Exception):
    """A transfer failed for good (not a dropped connection): missing, corrupt, too large.

    ``code`` is the protocol error code when the server gave one.
    """

    def __init__(self, message: str, code: int | None = None) -> None:
        """Create the error with a user-facing ``message``."""
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Uploaded:
    """A file the server now holds: its URL, hash, size and detected type."""

    url: str
    sha256: str
    size: int
    mime: str


class Transfers:
    """Uploads and downloads for one client; downloads land in ``cache_dir``."""

    def __init__(self, connection: Connection, cache_dir: Path, timeout: float) -> None:
        """Use ``connection`` for server files and keep downloads in ``cache_dir``."""
        self._connection = connection
        self.cache_dir = cache_dir
        self._timeout = timeout
        self._downloads: dict[str, asyncio.Future[Path]] = {}

    def chunk_size(self) -> int:
        """Bytes per chunk: what fits in one frame once base64 and the envelope are added."""
        welcome = self._connection.welcome
        frame_limit = welcome.max_frame_bytes if welcome is not None else 256 * 1024
        return max(4096, frame_limit * 3 // 4 - _FRAME_OVERHEAD)

    def max_upload_bytes(self) -> int | None:
        """The server's upload limit, once known (after the first login)."""
        welcome = self._connection.welcome
        if welcome is None or not welcome.max_upload_bytes:
            return None
        return welcome.max_upload_bytes

    # ------------------------------------------------------------------ upload

    async def upload(self, path: Path, progress: Progress | None = None) -> Uploaded:
        """Upload ``path`` (resuming what the server holds); return where it now lives.

        Raises TransferError when the file is gone or the server refuses it for good,
        NotConnected or TimeoutError when the connection drops (call again to resume).
        """
        try:
            size = (await asyncio.to_thread(path.stat)).st_size
            sha256 = await asyncio.to_thread(file_sha256, path)
        except OSError as exc:
            raise TransferError(
                f"{path.name}: {exc.strerror or exc}", ErrorCode.MEDIA_MISSING_LOCALLY
            ) from None
        state = await self._request_upload(UploadStart(sha256=sha256, size=size, name=path.name))
        chunk = self.chunk_size()
        while not state.done:
            if progress is not None:
                progress(state.offset, size)
            try:
                data = await asyncio.to_thread(_read_at, path, state.offset, chunk)
            except OSError as exc:
                raise TransferError(
                    f"{path.name}: {exc.strerror or exc}", ErrorCode.MEDIA_MISSING_LOCALLY
                ) from None
            if not data:
                raise TransferError(f"{path.name} changed while it was being sent")
            state = await self._request_upload(
                UploadChunk(sha256=sha256, offset=state.offset, data=data)
            )
        if progress is not None:
            progress(size, size)
        return Uploaded(url=state.url, sha256=sha256, size=size, mime=state.mime)

    async def _request_upload(self, frame: UploadStart | UploadChunk) -> UploadState:
        try:
            return await self._connection.request(frame, UploadState, self._timeout)
        except RequestFailed as failure:
            raise TransferError(failure.message, failure.code) from None

    # ------------------------------------------------------------------ download

    def cached(self, url: str) -> Path | None:
        """The local copy of ``url`` when it was downloaded before; cheap, no I/O beyond a stat."""
        path = self._cache_path(url)
        return path if path is not None and path.is_file() else None

    async def download(self, url: str, progress: Progress | None = None) -> Path:
        """Fetch ``url`` into the cache (once, however many callers ask) and return its path.

        Raises TransferError for a URL that is not a file we can fetch, a file the server
        does not have, or bytes that do not match their hash; NotConnected or TimeoutError
        when the connection drops.
        """
        target = self._cache_path(url)
        if target is None:
            raise TransferError(f"cannot download {url[:80]!r}")
        if target.is_file():
            return target
        running = self._downloads.get(url)
        if running is None:
            running = asyncio.ensure_future(self._fetch(url, target, progress))
            self._downloads[url] = running
            running.add_done_callback(lambda _: self._downloads.pop(url, None))
        return await asyncio.shield(running)

    def _cache_path(self, url: str) -> Path | None:
        sha256 = media_sha256(url)
        if sha256 is not None:
            return self.cache_dir / sha256
        if url.startswith(("http://", "https://")):
            return self.cache_dir / ("url-" + hashlib.sha256(url.encode()).hexdigest())
        return None

    async def _fetch(self, url: str, target: Path, progress: Progress | None) -> Path:
        await asyncio.to_thread(private_dir, target.parent)
        partial = target.with_name(target.name + ".part")
        sha256 = media_sha256(url)
        try:
            if sha256 is not None:
                await self._fetch_media(sha256, partial, progress)
            else:
                loop = asyncio.get_running_loop()

                def report(done: int, total: int) -> None:
                    if progress is not None:
                        loop.call_soon_threadsafe(progress, done, total)

                await asyncio.to_thread(_fetch_http, url, partial, report)
        except BaseException:
            with contextlib.suppress(OSError):
                await asyncio.to_thread(partial.unlink, True)
            raise
        await asyncio.to_thread(os.replace, partial, target)
        return target

    async def _fetch_media(self, sha256: str, partial: Path, progress: Progress | None) -> None:
        digest = hashlib.sha256()
        offset, total = 0, None
        handle = await asyncio.to_thread(open_private, partial)
        try:
            while total is None or offset < total:
                try:
                    chunk = await self._connection.request(
                        DownloadRequest(sha256=sha256, offset=offset, length=self.chunk_size()),
                        DownloadChunk,
                        self._timeout,
                    )
                except RequestFailed as failure:
                    raise TransferError(failure.message, failure.code) from None
                if chunk.offset != offset or (not chunk.data and chunk.total > offset):
                    raise TransferError("the server sent an unexpected part of the file")
                total = chunk.total
                digest.update(chunk.data)
                await asyncio.to_thread(handle.write, chunk.data)
                offset += len(chunk.data)
                if progress is not None:
                    progress(offset, total)
            await asyncio.to_thread(_flush, handle)
        finally:
            await asyncio.to_thread(handle.close)
        if digest.hexdigest() != sha256:
            raise TransferError("the downloaded file is damaged", ErrorCode.MEDIA_CORRUPT)


def _read_at(path: Path, offset: int, length: int) -> bytes:
    with open(path, "rb") as handle:
        handle.seek(offset)
        return handle.read(length)


def _flush(handle: BinaryIO) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def _fetch_http(url: str, partial: Path, progress: Progress) -> None:
    """Download an http(s) URL (blocking), refusing files over the file-size limit."""
    # Imported here: urllib.request pulls in http and email, ~10 ms at every start.
    import urllib.request

    from imkit_tui.media.limits import FILE_MAX_BYTES

    request = urllib.request.Request(url, headers={"User-Agent": "imkit"})
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
            total = int(response.headers.get("Content-Length") or 0)
            if total > FILE_MAX_BYTES:
                raise TransferError(f"the file at {url[:80]} is too large")
            done = 0
            with open_private(partial) as handle:
                while block := response.read(256 * 1024):
                    done += len(block)
                    if done > FILE_MAX_BYTES:
                        raise TransferError(f"the file at {url[:80]} is too large")
                    handle.write(block)
                    progress(done, max(total, done))
    except (OSError, ValueError) as exc:
        raise TransferError(f"cannot download {url[:80]}: {exc}") from None


__all__ = ["NotConnected", "Progress", "TransferError", "Transfers", "Uploaded"]
