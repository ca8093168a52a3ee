"""`client.profiles`: people's display names and portraits, cached and read lazily.

Nothing is read up front: a screen asks :meth:`Profiles.name` for the people it draws,
which answers from memory at once (the user id while the name is not known yet) and
notes the ids it did not know. Shortly after, one batch looks them up: first in the
store, then, for those the store lacks or holds for longer than :data:`MAX_AGE_MS`, at
the server in ProfileQuery frames of up to 100 users each. What changed is published as
one ProfilesChanged event. A drawn list of 1,000 rows costs at most ten requests, never
one per row.

A change reaches a device that shows the user as an ``RC:UIUMsg`` status push from
the server's own account (server/handlers/profiles.py), applied at once; one a client
sends about its own user only has the server asked. Offline, the cached profile is
shown and read again once it is stale.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Iterable, Mapping
from typing import Any

from imkit_tui import messages as catalogue
from imkit_tui.core.connection import NotConnected, RequestFailed
from imkit_tui.core.context import ClientContext
from imkit_tui.core.events import ProfilesChanged
from imkit_tui.core.profile_store import Profile
from imkit_tui.protocol import SYSTEM_ACCOUNT, MessageRecord
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.profile_frames import (
    MAX_NAME_CHARS,
    MAX_PORTRAIT_CHARS,
    MAX_PROFILES_ASKED,
    ProfileList,
    ProfileQuery,
    UpdateProfile,
    UserProfile,
)

log = logging.getLogger(__name__)

MAX_AGE_MS = 6 * 3600 * 1000
"""A cached profile older than this is asked of the server again when next shown."""
BATCH_DELAY = 0.05
"""Seconds the ids asked for are gathered before one lookup serves them all."""


def profile_from(wire: UserProfile, fetched_at: int) -> Profile:
    """The client's view of a profile from the server."""
    return Profile(wire.user_id, wire.name, wire.portrait, wire.updated_at, fetched_at)


def pushed_profile(record: MessageRecord) -> Profile | None:
    """The profile an ``RC:UIUMsg`` record from the server's own account carries; None
    for anything else (a user's own RC:UIUMsg is not believed, only asked about)."""
    info = _user_info(record)
    if info is None or record.sender != SYSTEM_ACCOUNT:
        return None
    user_id, name, portrait = info.get("id"), info.get("name", ""), info.get("portrait", "")
    if not isinstance(user_id, str) or not isinstance(name, str) or not isinstance(portrait, str):
        return None
    at = record.content.get("updatedAt")
    updated_at = at if isinstance(at, int) and not isinstance(at, bool) else record.sent_at
    return Profile(
        user_id, name[:MAX_NAME_CHARS], portrait[:MAX_PORTRAIT_CHARS], updated_at, now_ms()
    )


def _user_info(record: MessageRecord) -> Mapping[str, Any] | None:
    """The ``userInfo`` of an ``RC:UIUMsg`` record, if it is one with an object there."""
    if record.object_name != catalogue.USER_INFO_UPDATE:
        return None
    info: Any = record.content.get("userInfo")
    return info if isinstance(info, Mapping) else None


class Profiles:
    """Display names and portraits of people, from memory, the store and the server.

    :meth:`name` and :meth:`known` never wait; :meth:`get` does the lookups now;
    :meth:`set_own` changes this user's profile on the server (NotConnected offline).
    `queries` counts the ProfileQuery frames the server answered (tests and benchmarks
    read it).
    """

    def __init__(self, context: ClientContext, *, batch_delay: float = BATCH_DELAY) -> None:
        self._context = context
        self._delay = batch_delay
        self._known: dict[str, Profile] = {}
        self._wanted: set[str] = set()
        self._offline: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self.queries = 0

    def known(self, user_id: str) -> Profile | None:
        """The profile held in memory, if any (never reads or asks)."""
        return self._known.get(user_id)

    def name(self, user_id: str) -> str:
        """`user_id`'s display name, or the id while none is known (then looked up in
        the next batch)."""
        profile = self._known.get(user_id)
        if profile is None:
            self.want((user_id,))
            return user_id
        return profile.name or user_id

    def matching(self, text: str) -> list[str]:
        """Ids of the people held in memory whose name contains `text` (any case)."""
        folded = text.casefold()
        return [u for u, p in self._known.items() if p.name and folded in p.name.casefold()]

    def want(self, user_ids: Iterable[str]) -> None:
        """Look these people up in the next batch (those not held in memory)."""
        self._schedule({u for u in user_ids if u and u not in self._known})

    def _schedule(self, user_ids: set[str]) -> None:
        """Look `user_ids` up in the next batch (known or not)."""
        if not user_ids:
            return
        self._wanted |= user_ids
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._batch(), name="profiles-batch"
            )

    async def _batch(self) -> None:
        await asyncio.sleep(self._delay)
        while self._wanted:
            wanted, self._wanted = sorted(self._wanted), set()
            try:
                await self.get(wanted)
            except Exception:  # the store closed, a bad answer: names stay ids for now
                log.debug("could not look profiles up", exc_info=True)

    async def get(self, user_ids: Iterable[str], *, refresh: bool = False) -> dict[str, Profile]:
        """The profiles of `user_ids` (those anyone knows): from the store, then from
        the server for those missing or stale (all of them with `refresh`), 100 to a
        request. Offline, what the store holds; the rest is asked after the next sync.
        Publishes ProfilesChanged for those that changed."""
        ids = list(dict.fromkeys(u for u in user_ids if u))
        stored = await self._context.store.profiles.get_many(ids)
        before = {u: self._known.get(u) for u in ids}
        found = dict(stored)
        stale_before = now_ms() - MAX_AGE_MS
        ask = [u for u in ids if refresh or u not in stored or stored[u].fetched_at < stale_before]
        if ask:
            with contextlib.suppress(NotConnected, TimeoutError, RequestFailed):
                fetched = await self._ask(ask)
                found.update(fetched)
                ask = [u for u in ask if u not in fetched]
            self._offline.update(ask)
        for user_id in ids:
            # Held in memory from now on, known or not, so a screen asks once.
            self._known.setdefault(user_id, found.get(user_id, Profile(user_id)))
            if user_id in found:
                self._known[user_id] = _newer(self._known[user_id], found[user_id])
        self._publish([self._known[u] for u in ids if _shown(before[u]) != _shown(self._known[u])])
        return {u: found[u] for u in ids if u in found}

    async def _ask(self, user_ids: list[str]) -> dict[str, Profile]:
        """Ask the server, in chunks; keep what it said in the store."""
        context = self._context
        fetched: dict[str, Profile] = {}
        for start in range(0, len(user_ids), MAX_PROFILES_ASKED):
            chunk = user_ids[start : start + MAX_PROFILES_ASKED]
            reply = await context.connection.request(
                ProfileQuery(users=chunk), ProfileList, context.timeout
            )
            self.queries += 1
            at = now_ms()
            fetched.update({p.user_id: profile_from(p, at) for p in reply.profiles})
        await context.store.profiles.save(list(fetched.values()))
        return fetched

    def resume(self) -> None:
        """Connected again: ask the server for the people asked for while offline."""
        if self._offline:
            # Shown meanwhile as the store had them (or as ids): asked again now.
            offline, self._offline = self._offline, set()
            self._schedule(offline)

    async def set_own(self, *, name: str | None = None, portrait: str | None = None) -> Profile:
        """Set this user's display name and/or portrait URL ("" clears the portrait);
        every device showing the user learns it. Raises NotConnected offline,
        RequestFailed when the server refuses it (a control character, a portrait that
        is not an http(s) or stored file URL), ValueError when too long."""
        if name is not None and len(name) > MAX_NAME_CHARS:
            raise ValueError(f"a name has at most {MAX_NAME_CHARS} characters")
        if portrait is not None and len(portrait) > MAX_PORTRAIT_CHARS:
            raise ValueError(f"a portrait URL has at most {MAX_PORTRAIT_CHARS} characters")
        context = self._context
        reply = await context.connection.request(
            UpdateProfile(name=name, portrait=portrait), ProfileList, context.timeout
        )
        profile = profile_from(reply.profiles[0], now_ms())
        await self._apply([profile])
        return profile

    def pushed(self, record: MessageRecord) -> bool:
        """An ``RC:UIUMsg`` push (True when it was one): the server's is applied at
        once and kept in the store in the background; one a user sent about themself
        has the server asked (their word is not taken for it)."""
        profile = pushed_profile(record)
        if profile is None:
            info = _user_info(record)
            if info is None:
                return False
            if info.get("id") == record.sender and record.sender in self._known:
                asked = self.get([record.sender], refresh=True)
                task = asyncio.get_running_loop().create_task(_quietly(asked), name="profile")
                task.add_done_callback(_log_failure)
            return True
        task = asyncio.get_running_loop().create_task(self._apply([profile]), name="profile-push")
        task.add_done_callback(_log_failure)
        return True

    async def _apply(self, profiles: list[Profile]) -> None:
        changed = []
        for profile in profiles:
            old = self._known.get(profile.user_id)
            new = _newer(old, profile) if old is not None else profile
            self._known[profile.user_id] = new
            if _shown(old) != _shown(new):
                changed.append(new)
        self._publish(changed)
        with contextlib.suppress(RuntimeError):  # the client closed meanwhile
            await self._context.store.profiles.save(profiles)

    def _publish(self, changed: list[Profile]) -> None:
        if changed:
            self._context.events.publish(ProfilesChanged(tuple(changed)))

    async def stop(self) -> None:
        """Cancel a batch still waiting (the client is closing)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def _newer(old: Profile, new: Profile) -> Profile:
    """The later of two states of one profile (the server's change time decides)."""
    return new if new.updated_at >= old.updated_at else old


def _shown(profile: Profile | None) -> tuple[str, str]:
    """What a screen shows of a profile."""
    return ("", "") if profile is None else (profile.name, profile.portrait)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.debug("could not keep a pushed profile", exc_info=task.exception())


async def _quietly(work: Awaitable[object]) -> None:
    """Run `work` for its effects (a task's result is not wanted)."""
    await work
