"""`client.privacy`: block and unblock users, the whitelist and whitelist mode.

Every change is asked of the server and applies once it answers: blocking is not a
setting to apply later, so offline these raise NotConnected rather than wait. The last
state the server gave (an answer, or a push after a change on another device) is kept
in the store's meta table, for :meth:`Privacy.settings` offline and for the next
start; each new one is published as PrivacyChanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterable

from imkit_tui.core.connection import NotConnected
from imkit_tui.core.context import ClientContext
from imkit_tui.core.events import PrivacyChanged
from imkit_tui.core.models import PrivacySettings
from imkit_tui.protocol import PrivacyState, UpdatePrivacy

log = logging.getLogger(__name__)

PRIVACY_KEY = "privacy"
"""The meta key under which the last known privacy state is kept."""

MAX_USER_ID = 64
"""The longest user id the server accepts."""

_READ_AGAIN = 3


def settings_from(frame: PrivacyState) -> PrivacySettings:
    """The client's view of a PrivacyState frame."""
    return PrivacySettings(
        blocked=tuple(sorted(frame.blocked)),
        allowed=tuple(sorted(frame.allowed)),
        whitelist_mode=frame.whitelist_mode,
    )


def _encode(settings: PrivacySettings) -> str:
    return json.dumps(
        {
            "blocked": list(settings.blocked),
            "allowed": list(settings.allowed),
            "whitelist_mode": settings.whitelist_mode,
        }
    )


def _decode(text: str) -> PrivacySettings | None:
    """Settings from the meta table; None when absent or unreadable (never raises)."""
    if not text:
        return None
    try:
        data = json.loads(text)
        return PrivacySettings(
            blocked=tuple(sorted(str(u) for u in data.get("blocked", []))),
            allowed=tuple(sorted(str(u) for u in data.get("allowed", []))),
            whitelist_mode=bool(data.get("whitelist_mode", False)),
        )
    except (ValueError, TypeError, AttributeError):
        log.warning("ignoring an unreadable privacy state in the store")
        return None


def _user_ids(users: Iterable[str]) -> list[str]:
    """The user ids as a list, each checked: 1 to 64 characters (else ValueError)."""
    checked = list(dict.fromkeys(users))
    for user in checked:
        if not isinstance(user, str) or not 1 <= len(user) <= MAX_USER_ID:
            raise ValueError(f"not a user id (1 to {MAX_USER_ID} characters): {user!r}")
    return checked


class Privacy:
    """Blocking, the whitelist and whitelist mode.

    Each change returns the new :class:`PrivacySettings` as the server answered it.
    They raise NotConnected offline, RequestFailed when the server refuses (33003 for
    blocking oneself or a list over its limit), TimeoutError without an answer, and
    ValueError for a user id the server would refuse anyway.
    """

    def __init__(self, context: ClientContext) -> None:
        self._context = context
        self._known: PrivacySettings | None = None
        self._pushes = 0
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def known(self) -> PrivacySettings | None:
        """The privacy state last known, without asking anyone (None before the first
        :meth:`settings` call or change)."""
        return self._known

    async def block(self, *users: str) -> PrivacySettings:
        """Refuse messages from `users` (the server answers their sends with 405)."""
        return await self._update(UpdatePrivacy(block=_user_ids(users)))

    async def unblock(self, *users: str) -> PrivacySettings:
        """Accept messages from `users` again."""
        return await self._update(UpdatePrivacy(unblock=_user_ids(users)))

    async def allow(self, *users: str) -> PrivacySettings:
        """Put `users` on the whitelist (who may write in whitelist mode)."""
        return await self._update(UpdatePrivacy(allow=_user_ids(users)))

    async def disallow(self, *users: str) -> PrivacySettings:
        """Take `users` off the whitelist."""
        return await self._update(UpdatePrivacy(disallow=_user_ids(users)))

    async def set_whitelist_mode(self, on: bool) -> PrivacySettings:
        """With `on`, only whitelisted users may message this user (the block list is
        not consulted then); off, everyone but the blocked may."""
        return await self._update(UpdatePrivacy(whitelist_mode=on))

    async def settings(self, *, fetch: bool = True) -> PrivacySettings:
        """The privacy state: from the server when connected (and `fetch`), else the
        last known one from the store (nobody blocked when never known)."""
        if fetch:
            with contextlib.suppress(NotConnected):
                return await self._update(UpdatePrivacy())
        if self._known is None:
            stored = _decode(await self._context.store.meta.get(PRIVACY_KEY))
            if self._known is None:  # a push may have come while we read
                self._known = stored
        return self._known or PrivacySettings()

    def pushed(self, frame: PrivacyState) -> None:
        """A push: the state changed on another device. Applied at once, in the order
        frames arrive; written to the store in the background."""
        self._pushes += 1
        self._note(settings_from(frame))
        task = asyncio.create_task(self._persist(), name="privacy-persist")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _update(self, frame: UpdatePrivacy) -> PrivacySettings:
        if self._known is None:
            await self.settings(fetch=False)  # so only a real change is published
        context = self._context
        for _ in range(_READ_AGAIN):
            pushes = self._pushes
            reply = await context.connection.request(frame, PrivacyState, context.timeout)
            if self._pushes == pushes:
                break
            # Another device changed them while we asked: whether its push or our answer
            # is the newer cannot be told, so read the state again (changing nothing).
            frame = UpdatePrivacy()
        settings = settings_from(reply)
        self._note(settings)
        await self._persist()
        return settings

    def _note(self, settings: PrivacySettings) -> None:
        if settings != self._known:
            self._known = settings
            self._context.events.publish(PrivacyChanged(settings))

    async def _persist(self) -> None:
        """Write the latest known state (the last write always carries the latest)."""
        known = self._known
        if known is None:
            return
        try:
            await self._context.store.meta.set(PRIVACY_KEY, _encode(known))
        except Exception:  # the store closed under a late push: the server still knows
            log.debug("could not keep the privacy state", exc_info=True)
