"""What one user may upload (`UploadQuota`), and where it is counted (`UploadCounts`):
the uploads each user has announced and not finished, and the bytes received from them
in a day.

One node counts in memory (`MemoryUploadCounts`). Several nodes count in the shared
store (pg/uploads.py): a user's devices may be connected to different nodes, and the
unfinished uploads lie in the media folder they share, so a quota counted per node
would let a user hold as many times the quota as there are nodes. The rules are here,
without I/O (`check_room`, `DayCount.add`); the counters only keep what they decide on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from imkit_tui.protocol import ErrorCode, ProtocolError

DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True, slots=True)
class UploadQuota:
    """What one user may have going at once, and upload in a day."""

    max_open: int = 4
    """Unfinished uploads at once."""
    max_pending_bytes: int = 200 * 1024 * 1024
    """Announced bytes of the unfinished uploads, together."""
    bytes_per_day: int = 1024 * 1024 * 1024
    """Bytes received in a rolling day."""


def partial_folder(user_id: str) -> str:
    """The folder of `user_id`'s unfinished uploads (under media/partial/)."""
    return hashlib.sha256(user_id.encode()).hexdigest()[:32]


def check_room(quota: UploadQuota, open_sizes: dict[str, int], sha256: str, size: int) -> None:
    """Raise RATE_LIMITED unless a user whose unfinished uploads are `open_sizes` (announced
    size by sha256) may announce `sha256` at `size` (again, when it is among them)."""
    if sha256 not in open_sizes and len(open_sizes) >= quota.max_open:
        raise ProtocolError(
            ErrorCode.RATE_LIMITED,
            f"at most {quota.max_open} unfinished uploads at once: finish one first",
        )
    pending = sum(held for digest, held in open_sizes.items() if digest != sha256)
    if pending + size > quota.max_pending_bytes:
        raise ProtocolError(
            ErrorCode.RATE_LIMITED,
            f"unfinished uploads may hold at most {quota.max_pending_bytes} bytes",
        )


@dataclass(frozen=True, slots=True)
class DayCount:
    """The bytes a user's uploads brought since `started` (ms), the start of their day."""

    started: int = 0
    received: int = 0

    def add(self, quota: UploadQuota, count: int, now_ms: int) -> DayCount:
        """The count with `count` more bytes received at `now_ms` (the first bytes, or a
        day past `started`, start a new day); RATE_LIMITED when they would pass the
        day's quota."""
        fresh = not self.received or now_ms - self.started >= DAY_MS
        day = DayCount(now_ms) if fresh else self
        if day.received + count > quota.bytes_per_day:
            raise ProtocolError(
                ErrorCode.RATE_LIMITED, f"upload quota of {quota.bytes_per_day} bytes a day reached"
            )
        return DayCount(day.started, day.received + count)


class UploadCounts(Protocol):
    """Where the uploads of each user are counted (in memory, or in the shared store)."""

    async def open(
        self, quota: UploadQuota, user_id: str, sha256: str, size: int, now_ms: int
    ) -> None:
        """Count `user_id`'s upload of `sha256` (announced at `size`; announced again, its
        new size) as unfinished; RATE_LIMITED, counting nothing, past the quota."""
        ...

    async def close(self, user_id: str, sha256: str) -> None:
        """The upload is finished, or given up: it no longer counts."""
        ...

    async def opened_before(self, before_ms: int) -> list[tuple[str, str]]:
        """(user, sha256) of the uploads counted as unfinished since before `before_ms`."""
        ...

    async def receive(self, quota: UploadQuota, user_id: str, count: int, now_ms: int) -> None:
        """Count `count` bytes received from `user_id`; RATE_LIMITED, counting nothing,
        past the day's quota."""
        ...


class MemoryUploadCounts:
    """The uploads of each user counted in this process (one node)."""

    def __init__(self) -> None:
        self._open: dict[str, dict[str, tuple[int, int]]] = {}
        self._days: dict[str, DayCount] = {}

    async def open(
        self, quota: UploadQuota, user_id: str, sha256: str, size: int, now_ms: int
    ) -> None:
        """Count an unfinished upload (see :class:`UploadCounts`)."""
        uploads = self._open.setdefault(user_id, {})
        try:
            check_room(quota, {digest: held for digest, (held, _) in uploads.items()}, sha256, size)
        except ProtocolError:
            if not uploads:
                del self._open[user_id]
            raise
        since = uploads[sha256][1] if sha256 in uploads else now_ms
        uploads[sha256] = (size, since)

    async def close(self, user_id: str, sha256: str) -> None:
        """An upload no longer counts."""
        uploads = self._open.get(user_id, {})
        uploads.pop(sha256, None)
        if not uploads:
            self._open.pop(user_id, None)

    async def opened_before(self, before_ms: int) -> list[tuple[str, str]]:
        """The uploads counted since before `before_ms`."""
        return [
            (user_id, digest)
            for user_id, uploads in self._open.items()
            for digest, (_, since) in uploads.items()
            if since < before_ms
        ]

    async def receive(self, quota: UploadQuota, user_id: str, count: int, now_ms: int) -> None:
        """Count received bytes (see :class:`UploadCounts`)."""
        self._days[user_id] = self._days.get(user_id, DayCount()).add(quota, count, now_ms)
