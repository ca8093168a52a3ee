"""`client.groups`: group management: create, invite, kick, quit, dismiss, rename, members.

Each call needs the server (raises NotConnected offline) and returns the group as the
server now has it; the group notification each change leaves arrives like any message.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from imkit_tui.core.connection import NotConnected, RequestFailed
from imkit_tui.core.context import ClientContext
from imkit_tui.core.events import SyncCompleted
from imkit_tui.protocol import ErrorCode, GroupInfo, GroupRequest
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.frames import GroupOperation


@dataclass(frozen=True, slots=True)
class Group:
    """A group's id, name, owner and members (the owner first), and who may speak:
    muted members, whether all are muted, and who may still speak then."""

    group_id: str
    name: str
    owner: str
    members: tuple[str, ...]
    muted: tuple[str, ...] = ()
    all_muted: bool = False
    speakers: tuple[str, ...] = ()
    invited: tuple[str, ...] = ()
    """Those the request invited rather than added (they do not accept messages from
    this user): they join when they accept."""


class Groups:
    """Group requests, and naming the groups a sync brought."""

    def __init__(self, context: ClientContext) -> None:
        self._context = context
        self._naming: asyncio.Task[None] | None = None
        self.more_names: list[Callable[[], Awaitable[int]]] = []
        """Other names a sync may bring, asked for in the same background pass (public
        service accounts): each returns how many it named."""

    def name_in_background(self) -> None:
        """Name the groups first seen in this sync, in the background."""
        if self._naming is None or self._naming.done():
            self._naming = asyncio.create_task(self._name_quietly(), name="client-group-names")

    async def stop(self) -> None:
        """Stop naming groups in the background (the client is closing)."""
        task, self._naming = self._naming, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _name_quietly(self) -> None:
        try:
            named = await self.name_unnamed()
            for name_more in self.more_names:
                named += await name_more()
        except (NotConnected, TimeoutError):
            return  # the next sync asks again
        if named:
            self._context.events.publish(SyncCompleted(0))  # the list shows the names

    async def name_unnamed(self) -> int:
        """Ask the server about the groups in the list whose names are not known here
        (groups first seen in a sync); return how many were named."""
        named = 0
        for group_id in await self._context.store.groups.unnamed():
            try:
                group = await self.info(group_id)
            except RequestFailed as failure:
                if failure.code == ErrorCode.NOT_IN_GROUP:
                    # Not a member any more: remember that there is nothing to ask.
                    await self._context.store.groups.save(group_id, "", "", (), now_ms())
                continue  # anything else may pass: the next sync asks again
            named += bool(group.name)
        return named

    async def _request(
        self,
        group_id: str,
        op: GroupOperation,
        members: Sequence[str] = (),
        name: str = "",
    ) -> Group:
        context = self._context
        info = await context.connection.request(
            GroupRequest(group=group_id, op=op, members=list(members), name=name),
            GroupInfo,
            context.timeout,
        )
        if context.user_id in info.members:
            await context.store.groups.save(
                info.group, info.name, info.owner, info.members, now_ms()
            )
        return Group(
            info.group,
            info.name,
            info.owner,
            tuple(info.members),
            tuple(info.muted),
            info.all_muted,
            tuple(info.speakers),
            tuple(info.invited),
        )

    async def sync(self, group_id: str, user_id: str, name: str = "") -> Group:
        """For the app server's account only: `user_id` is in the group (from the app's
        own data), which the server creates (owned by the user) when it has none; a
        `name` renames it."""
        return await self._request(group_id, "sync", [user_id], name)

    async def create(self, group_id: str, name: str, members: Sequence[str]) -> Group:
        """Create a group that this user owns, with `members`."""
        return await self._request(group_id, "create", members, name)

    async def invite(self, group_id: str, members: Sequence[str]) -> Group:
        """Add members to a group this user is in (those who do not accept messages from
        this user are invited instead: `Group.invited`)."""
        return await self._request(group_id, "invite", members)

    async def accept_invitation(self, group_id: str) -> Group:
        """Join a group this user was invited to."""
        return await self._request(group_id, "accept")

    async def kick(self, group_id: str, members: Sequence[str]) -> Group:
        """Remove members from a group this user owns."""
        return await self._request(group_id, "kick", members)

    async def quit(self, group_id: str) -> Group:
        """Leave a group (its owner dismisses it instead)."""
        return await self._request(group_id, "quit")

    async def dismiss(self, group_id: str) -> Group:
        """End a group this user owns: nobody can send to it or read it any more."""
        return await self._request(group_id, "dismiss")

    async def rename(self, group_id: str, name: str) -> Group:
        """Rename a group this user owns."""
        return await self._request(group_id, "rename", name=name)

    async def mute(self, group_id: str, members: Sequence[str], *, muted: bool = True) -> Group:
        """Mute members of a group this user owns (they read, but cannot send: 22408), or
        unmute them; with no members, mute (or unmute) everyone but the owner."""
        if members:
            return await self._request(group_id, "mute" if muted else "unmute", members)
        return await self._request(group_id, "mute_all" if muted else "unmute_all")

    async def allow_speaking(
        self, group_id: str, members: Sequence[str], *, allowed: bool = True
    ) -> Group:
        """Let members send while the whole group is muted (the speak whitelist), or not."""
        op: GroupOperation = "allow_speak" if allowed else "disallow_speak"
        return await self._request(group_id, op, members)

    async def members(self, group_id: str) -> tuple[str, ...]:
        """The members of a group as this device last heard them (works offline; empty
        when it never asked)."""
        return tuple(await self._context.store.groups.members(group_id))

    async def info(self, group_id: str) -> Group:
        """A group this user is in, as it is now."""
        return await self._request(group_id, "info")
