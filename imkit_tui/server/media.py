"""The server's file store: uploads by content hash, resumable, checked, read back in chunks.

A file lives at ``media/ab/abcdef…`` under the data folder, named by the sha256 of its
bytes, so the same picture sent twice is stored once. An upload in progress belongs to
its uploader: ``media/partial/<user>/<sha256>.part``, so nobody can reset or corrupt
another's upload. It grows only at its end, so a client that lost its connection
resumes where the server stopped. When the last byte arrives the hash is checked: a
mismatch discards the partial file.

Only a user who may already read a stored file skips uploading it again (the caller
says so): anyone else uploads the bytes, which proves they hold them, so a sha256 alone
never tells whether the server has a file. Uploads are bounded per user (`UploadQuota`,
counted where `counts` says: server/upload_quota.py); a chunk for an upload that was
never announced here is refused without keeping anything.

Disk work runs in threads, so a 100 MB upload never stalls other users.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from imkit_tui.media.checksum import file_sha256
from imkit_tui.media.probe import sniff_mime
from imkit_tui.protocol import ErrorCode, ProtocolError, UploadState, media_url
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.upload_quota import (
    MemoryUploadCounts,
    UploadCounts,
    UploadQuota,
    partial_folder,
)
from imkit_tui.storage.private import open_private, private_dir

PARTIAL_MAX_AGE_SECONDS = 24 * 60 * 60
"""Unfinished uploads older than this are removed by the retention pass."""


@dataclass(slots=True)
class _Upload:
    size: int
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class MediaStore:
    """Files uploaded by clients, named by their sha256."""

    def __init__(self, root: Path, max_bytes: int, quota: UploadQuota | None = None) -> None:
        """Keep files under ``root``; refuse uploads larger than ``max_bytes``."""
        self.root = root
        self.max_bytes = max_bytes
        self.quota = quota or UploadQuota()
        self.counts: UploadCounts = MemoryUploadCounts()
        """Where each user's uploads are counted against the quota (this process's
        memory; the shared store's with several nodes)."""
        self._partial_dir = root / "partial"
        self._uploads: dict[tuple[str, str], _Upload] = {}

    @property
    def unfinished(self) -> int:
        """How many uploads are announced here and not finished (all users)."""
        return len(self._uploads)

    def path(self, sha256: str) -> Path:
        """Where the complete file of ``sha256`` is (or would be)."""
        return self.root / sha256[:2] / sha256

    def _partial(self, user_id: str, sha256: str) -> Path:
        return self._partial_dir / partial_folder(user_id) / f"{sha256}.part"

    async def begin(
        self, user_id: str, sha256: str, size: int, *, may_skip: bool = False
    ) -> UploadState:
        """Start or resume `user_id`'s upload of a file of ``size`` bytes; say how far it is.

        With `may_skip` (the user may already read this file) a stored file completes at
        once; otherwise its bytes are uploaded like any other's.
        """
        if size > self.max_bytes:
            raise ProtocolError(
                ErrorCode.MEDIA_TOO_LARGE, f"{size} bytes is over the limit of {self.max_bytes}"
            )
        if may_skip and await asyncio.to_thread(self.path(sha256).is_file):
            return await self._done(sha256)
        # Counted again on every announcement: another node may have given it up.
        await self.counts.open(self.quota, user_id, sha256, size, now_ms())
        key = (user_id, sha256)
        upload = self._uploads.get(key)
        if upload is None:
            upload = self._uploads[key] = _Upload(size)
        upload.size = size
        async with upload.lock:
            partial = self._partial(user_id, sha256)
            offset = await asyncio.to_thread(_prepare_partial, partial)
            if offset > size:
                await asyncio.to_thread(partial.unlink, True)
                offset = await asyncio.to_thread(_prepare_partial, partial)
            if offset == size:
                return await self._finish(user_id, sha256)
            return UploadState(sha256=sha256, offset=offset)

    async def write(self, user_id: str, sha256: str, offset: int, data: bytes) -> UploadState:
        """Append ``data`` at ``offset`` of `user_id`'s upload; a chunk at the wrong offset
        is not written.

        The reply always says how many bytes the server holds, so a client that sent a
        chunk twice (a retry) or skipped one learns where to continue.
        """
        upload = self._uploads.get((user_id, sha256))
        if upload is None:
            raise ProtocolError(ErrorCode.INVALID_PARAMETER, "announce the upload first")
        async with upload.lock:
            if self._uploads.get((user_id, sha256)) is not upload:  # finished meanwhile
                return await self._done(sha256)
            partial = self._partial(user_id, sha256)
            held = await asyncio.to_thread(_size_of, partial)
            if held is None:
                await self._forget(user_id, sha256)
                raise ProtocolError(ErrorCode.INVALID_PARAMETER, "announce the upload first")
            if offset != held:
                return UploadState(sha256=sha256, offset=held)
            if held + len(data) > upload.size:
                raise ProtocolError(
                    ErrorCode.INVALID_PARAMETER,
                    f"chunk runs past the announced {upload.size} bytes",
                )
            await self.counts.receive(self.quota, user_id, len(data), now_ms())
            held = await asyncio.to_thread(_append, partial, data)
            if held < upload.size:
                return UploadState(sha256=sha256, offset=held)
            return await self._finish(user_id, sha256)

    async def read(self, sha256: str, offset: int, length: int) -> tuple[bytes, int, str]:
        """Return up to ``length`` bytes from ``offset``, the file's size and its type."""
        final = self.path(sha256)
        try:
            data, total, head = await asyncio.to_thread(_read, final, offset, length)
        except FileNotFoundError:
            raise ProtocolError(ErrorCode.MEDIA_NOT_FOUND, "no such file") from None
        return data, total, sniff_mime(head) or ""

    async def stored(self, before: float) -> list[str]:
        """The sha256 of every complete file held, stored before `before` (seconds since
        the epoch)."""
        return await asyncio.to_thread(_stored, self.root, before)

    async def remove(self, sha256: str) -> None:
        """Delete a complete file (nothing references it any more)."""
        await asyncio.to_thread(self.path(sha256).unlink, True)

    async def prune_partials(self, max_age: float = PARTIAL_MAX_AGE_SECONDS) -> int:
        """Remove unfinished uploads untouched for ``max_age`` seconds; return how many.
        Those counted since before then whose file is gone (removed here or by another
        node, or never made) no longer count."""
        removed = await asyncio.to_thread(_prune, self._partial_dir, time.time() - max_age)
        stale = set(removed)
        for user_id, sha256 in list(self._uploads):
            if (partial_folder(user_id), sha256) in stale:
                await self._forget(user_id, sha256)
        for user_id, sha256 in await self.counts.opened_before(now_ms() - int(max_age * 1000)):
            if not await asyncio.to_thread(self._partial(user_id, sha256).exists):
                await self._forget(user_id, sha256)
        return len(removed)

    async def _forget(self, user_id: str, sha256: str) -> None:
        self._uploads.pop((user_id, sha256), None)
        await self.counts.close(user_id, sha256)

    async def _finish(self, user_id: str, sha256: str) -> UploadState:
        partial = self._partial(user_id, sha256)
        digest = await asyncio.to_thread(file_sha256, partial)
        await self._forget(user_id, sha256)
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
    if final.is_file():  # the same bytes are stored already
        partial.unlink(missing_ok=True)
        return
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


def _prune(folder: Path, before: float) -> list[tuple[str, str]]:
    """Remove partial files older than `before`: (user folder, sha256) of each."""
    removed: list[tuple[str, str]] = []
    with contextlib.suppress(FileNotFoundError):
        for user_folder in folder.iterdir():
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                for entry in user_folder.iterdir():
                    with contextlib.suppress(FileNotFoundError):
                        if entry.stat().st_mtime < before:
                            entry.unlink()
                            removed.append((user_folder.name, entry.name.removesuffix(".part")))
            with contextlib.suppress(OSError):  # only once it is empty
                user_folder.rmdir()
    return removed


def _stored(root: Path, before: float) -> list[str]:
    found: list[str] = []
    with contextlib.suppress(FileNotFoundError):
        for bucket in root.iterdir():
            if len(bucket.name) != 2 or not bucket.is_dir():
                continue
            for entry in bucket.iterdir():
                with contextlib.suppress(FileNotFoundError):
                    if len(entry.name) == 64 and entry.stat().st_mtime < before:
                        found.append(entry.name)
    return found
