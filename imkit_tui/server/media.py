"""The server's file store: uploads by content hash, resumable, checked, read back in chunks.

A file lives at ``media/ab/abcdef…`` under the data folder, named by the sha256 of its
bytes, so the same picture sent twice is stored once and an upload of known content
completes at once. An upload in progress is ``media/partial/<sha256>.part``; it grows
only at its end, so a client that lost its connection resumes where the server stopped.
When the last byte arrives the hash is checked: a mismatch discards the partial file.

Disk work runs in threads, so a 100 MB upload never stalls other users.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import defaultdict
from pathlib import Path

from imkit_tui.media.checksum import file_sha256
from imkit_tui.media.probe import sniff_mime
from imkit_tui.protocol import ErrorCode, ProtocolError, UploadState, media_url
from imkit_tui.storage.private import open_private, private_dir

PARTIAL_MAX_AGE_SECONDS = 24 * 60 * 60
"""Unfinished uploads older than this are removed by the retention pass."""


class MediaStore:
    """Files uploaded by clients, named by their sha256."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        """Keep files under ``root``; refuse uploads larger than ``max_bytes``."""
        self.root = root
        self.max_bytes = max_bytes
        self._partial_dir = root / "partial"
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._sizes: dict[str, int] = {}

    def path(self, sha256: str) -> Path:
        """Where the complete file of ``sha256`` is (or would be)."""
        return self.root / sha256[:2] / sha256

    def _partial(self, sha256: str) -> Path:
        return self._partial_dir / f"{sha256}.part"

    async def begin(self, sha256: str, size: int) -> UploadState:
        """Start or resume the upload of a file of ``size`` bytes; say how far it is."""
        if size > self.max_bytes:
            raise ProtocolError(
                ErrorCode.MEDIA_TOO_LARGE, f"{size} bytes is over the limit of {self.max_bytes}"
            )
        async with self._locks[sha256]:
            final = self.path(sha256)
            if await asyncio.to_thread(final.is_file):
                return await self._done(sha256)
            self._sizes[sha256] = size
            offset = await asyncio.to_thread(_prepare_partial, self._partial(sha256))
            if offset > size:
                await asyncio.to_thread(self._partial(sha256).unlink, True)
                offset = await asyncio.to_thread(_prepare_partial, self._partial(sha256))
            if offset == size:
                return await self._finish(sha256)
            return UploadState(sha256=sha256, offset=offset)

    async def write(self, sha256: str, offset: int, data: bytes) -> UploadState:
        """Append ``data`` at ``offset``; a chunk at the wrong offset is not written.

        The reply always says how many bytes the server holds, so a client that sent a
        chunk twice (a retry) or skipped one learns where to continue.
        """
        async with self._locks[sha256]:
            if await asyncio.to_thread(self.path(sha256).is_file):
                return await self._done(sha256)
            size = self._sizes.get(sha256)
            if size is None:
                raise ProtocolError(ErrorCode.INVALID_PARAMETER, "announce the upload first")
            partial = self._partial(sha256)
            held = await asyncio.to_thread(_size_of, partial)
            if held is None:
                raise ProtocolError(ErrorCode.INVALID_PARAMETER, "announce the upload first")
            if offset != held:
                return UploadState(sha256=sha256, offset=held)
            if held + len(data) > size:
                raise ProtocolError(
                    ErrorCode.INVALID_PARAMETER, f"chunk runs past the announced {size} bytes"
                )
            held = await asyncio.to_thread(_append, partial, data)
            if held < size:
                return UploadState(sha256=sha256, offset=held)
            return await self._finish(sha256)

    async def read(self, sha256: str, offset: int, length: int) -> tuple[bytes, int, str]:
        """Return up to ``length`` bytes from ``offset``, the file's size and its type."""
        final = self.path(sha256)
        try:
            data, total, head = await asyncio.to_thread(_read, final, offset, length)
        except FileNotFoundError:
            raise ProtocolError(ErrorCode.MEDIA_NOT_FOUND, "no such file") from None
        return data, total, sniff_mime(head) or ""

    async def prune_partials(self, max_age: float = PARTIAL_MAX_AGE_SECONDS) -> int:
        """Remove unfinished uploads untouched for ``max_age`` seconds; return how many."""
        removed = await asyncio.to_thread(_prune, self._partial_dir, time.time() - max_age)
        for sha256 in removed:
            self._sizes.pop(sha256, None)
            lock = self._locks.get(sha256)
            if lock is not None and not lock.locked():
                del self._locks[sha256]
        return len(removed)

    async def _finish(self, sha256: str) -> UploadState:
        partial = self._partial(sha256)
        digest = await asyncio.to_thread(file_sha256, partial)
        self._sizes.pop(sha256, None)
        if digest != sha256:
            await asyncio.to_thread(partial.unlink, True)
            raise ProtocolError(
                ErrorCode.MEDIA_CORRUPT, "the uploaded bytes do not match their sha256"
            )
        await asyncio.to_thread(_publish, partial, self.path(sha256))
        return await self._done(sha256)

    async def _done(self, sha256: str) -> UploadState:
        final = self.path(sha256)
        _, total, head = await asyncio.to_thread(_read, final, 0, 64)
        return UploadState(
            sha256=sha256,
            offset=total,
            done=True,
            url=media_url(sha256),
            mime=sniff_mime(head) or "",
        )


def _prepare_partial(partial: Path) -> int:
    with open_private(partial, append=True) as handle:
        return handle.tell()


def _size_of(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


def _append(path: Path, data: bytes) -> int:
    with open_private(path, append=True) as handle:
        handle.write(data)
        # No fsync per chunk: a torn tail after a crash is caught by the final hash check.
        return handle.tell()


def _publish(partial: Path, final: Path) -> None:
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    private_dir(final.parent)
    os.replace(partial, final)


def _read(path: Path, offset: int, length: int) -> tuple[bytes, int, bytes]:
    with open(path, "rb") as handle:
        total = os.fstat(handle.fileno()).st_size
        head = handle.read(64)
        handle.seek(offset)
        return handle.read(length), total, head


def _prune(folder: Path, before: float) -> list[str]:
    removed: list[str] = []
    with contextlib.suppress(FileNotFoundError):
        for entry in folder.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if entry.stat().st_mtime < before:
                    entry.unlink()
                    removed.append(entry.name.removesuffix(".part"))
    return removed
