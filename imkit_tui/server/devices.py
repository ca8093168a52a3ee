"""Which devices must go: those past the per-user cap, those with a revoked token.

The server keeps the logged-in sessions; this module decides which of them to close,
and watches the store for revocations made by another process (`imkit token --revoke`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from typing import Protocol

from imkit_tui.protocol import ErrorCode, ErrorFrame, Hello, ProtocolError
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.tokens import TokenClaims, verify_token
from imkit_tui.server.session import Session
from imkit_tui.server.token_versions import Revocation

log = logging.getLogger(__name__)

REVOKED = "this token was revoked"
"""Why a token (or a device logged in with it) is refused after a revocation."""

TOO_MANY_DEVICES = "signed in on too many devices: this one was the oldest"
"""Why a device is closed when a newer one of the same user logs in past the cap."""

RESYNC_CLOSE = 1012
"""The close code (service restart) of devices asked to come back and sync."""

BLOCKED = "this user is blocked until"
"""Why a login is refused, or a device closed, while its user is blocked (31009)."""


class Versions(Protocol):
    """Each user's token version, in whichever store."""

    async def current(self, user_id: str) -> int:
        """The version tokens of `user_id` must carry."""
        ...

    async def last_change(self) -> int:
        """The latest revocation's `change` (0 if none)."""
        ...

    async def changes_since(self, change: int) -> list[Revocation]:
        """The revocations after `change`, oldest first."""
        ...


class Blocks(Protocol):
    """User blocks, in whichever store."""

    async def blocked_until(self, user_id: str, now_ms: int) -> int | None:
        """When the block of `user_id` ends, if it is blocked at `now_ms`."""
        ...


class LoginRecords(Protocol):
    """What a login is checked against: the store's token versions and user blocks."""

    @property
    def tokens(self) -> Versions:
        """Each user's token version."""
        ...

    @property
    def users(self) -> Blocks:
        """Profiles and blocks."""
        ...


async def check_token(secret: bytes, records: LoginRecords, hello: Hello) -> TokenClaims:
    """The claims of the token of `hello` if it is signed with `secret`, unexpired, not
    revoked, and its user not blocked; else ProtocolError (31004, 31020 when expired,
    31009 when blocked) answering `hello`."""
    try:
        claims = verify_token(secret, hello.token)
    except ProtocolError as exc:
        raise ProtocolError(exc.code, exc.message, hello.id) from None
    if claims.version < await records.tokens.current(claims.user_id):
        raise ProtocolError(ErrorCode.TOKEN_INCORRECT, REVOKED, hello.id)
    ends = await records.users.blocked_until(claims.user_id, now_ms())
    if ends is not None:
        raise ProtocolError(ErrorCode.USER_BLOCKED, f"{BLOCKED} {ends} (ms)", hello.id)
    return claims


def past_cap(sessions: Iterable[Session], cap: int) -> list[Session]:
    """The oldest of `sessions` beyond the newest `cap` of them."""
    ordered = sorted(sessions, key=lambda session: session.serial)
    return ordered[: max(0, len(ordered) - cap)]


def revoked(sessions: Iterable[Session], version: int) -> list[Session]:
    """Those of `sessions` logged in with a token older than `version`."""
    return [session for session in sessions if session.token_version < version]


class Devices:
    """Admits logged-in sessions into the server's `sessions` (by user) and closes
    those that must go, each with an error frame saying why; the closing runs in tasks
    kept in `background` (the server cancels them when it stops)."""

    def __init__(
        self,
        sessions: dict[str, set[Session]],
        cap: int,
        background: set[asyncio.Task[None]],
    ) -> None:
        self._sessions = sessions
        self._cap = cap
        self._background = background
        self._revoked: dict[str, int] = {}
        """The newest revocation seen per user: a login whose token was checked just
        before it is closed as soon as it is admitted."""
        self._blocked: dict[str, int] = {}
        """Users blocked by the app server, until when (ms); the same for a login
        checked just before the block."""

    def admit(self, session: Session) -> None:
        """Add a just logged-in session; past the cap, close its user's oldest."""
        devices = self._sessions.setdefault(session.user_id, set())
        devices.add(session)
        if session.token_version < self._revoked.get(session.user_id, 0):
            self.end(session, ErrorCode.TOKEN_INCORRECT, REVOKED)
            return
        blocked_until = self._blocked.get(session.user_id)
        if blocked_until is not None and blocked_until > now_ms():
            self.end(session, ErrorCode.USER_BLOCKED, f"{BLOCKED} {blocked_until} (ms)")
            return
        for oldest in past_cap(devices, self._cap):
            self.end(oldest, ErrorCode.KICKED_BY_OTHER_DEVICE, TOO_MANY_DEVICES)

    def close_revoked(self, user_id: str, version: int) -> None:
        """Tokens of `user_id` older than `version` were revoked: close their devices."""
        self._revoked[user_id] = max(version, self._revoked.get(user_id, 0))
        for session in revoked(self._sessions.get(user_id, ()), version):
            self.end(session, ErrorCode.TOKEN_INCORRECT, REVOKED)

    def block(self, user_id: str, until_ms: int) -> int:
        """`user_id` is blocked until `until_ms` (the store says so already): close
        their devices, and any admitted before then; how many were closed."""
        self._blocked[user_id] = until_ms
        devices = tuple(self._sessions.get(user_id, ()))
        for session in devices:
            self.end(session, ErrorCode.USER_BLOCKED, f"{BLOCKED} {until_ms} (ms)")
        return len(devices)

    def unblock(self, user_id: str) -> None:
        """`user_id` may log in again."""
        self._blocked.pop(user_id, None)

    def resync(self) -> None:
        """Close every device's connection so that each comes back (here or on another
        node) and syncs: pushes may have been missed (the bus was down)."""
        for devices in list(self._sessions.values()):
            for session in list(devices):
                session.refuse(RESYNC_CLOSE, "pushes were missed: connect again and sync")

    def end(self, session: Session, code: ErrorCode, reason: str) -> None:
        """Close `session` for good, telling its device why (it must not reconnect).
        It stops counting (and receiving pushes) at once."""
        devices = self._sessions.get(session.user_id)
        if devices is not None:
            devices.discard(session)
        task = asyncio.create_task(session.end(ErrorFrame(re=0, code=code, message=reason)))
        self._background.add(task)
        task.add_done_callback(self._background.discard)


class RevocationWatch:
    """Reads the token versions every `interval` seconds and calls `on_revoked(user,
    version)` for each revocation since the last look (one indexed read when none)."""

    def __init__(
        self,
        versions: Versions,
        interval: float,
        on_revoked: Callable[[str, int], None],
    ) -> None:
        self._versions = versions
        self._interval = interval
        self._on_revoked = on_revoked
        self._seen = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start watching from the latest revocation already made."""
        self._seen = await self._versions.last_change()
        self._task = asyncio.create_task(self._run(), name="revocation-watch")

    async def stop(self) -> None:
        """Stop watching."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                for revocation in await self._versions.changes_since(self._seen):
                    self._seen = revocation.change
                    self._on_revoked(revocation.user_id, revocation.version)
            except Exception:
                log.exception("reading token revocations failed")
