"""IMClient's group management: create, invite, kick, quit, dismiss, rename, members.

Each call needs the server (raises NotConnected offline) and returns the group as the
server now has it; the group notification each change leaves arrives like any message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from imkit_tui.core.connection import Connection
from imkit_tui.protocol import GroupInfo, GroupRequest
from imkit_tui.protocol.frames import GroupOperation


@dataclass(frozen=True, slots=True)
class Group:
    """A group's id, name, owner and members (the owner first)."""

    group_id: str
    name: str
    owner: str
    members: tuple[str, ...]


class GroupManagement:
    """Group requests. Mixed into IMClient."""

    _connection: Connection
    _request_timeout: float

    async def _group_request(
        self,
        group_id: str,
        op: GroupOperation,
        members: Sequence[str] = (),
        name: str = "",
    ) -> Group:
        info = await self._connection.request(
            GroupRequest(group=group_id, op=op, members=list(members), name=name),
            GroupInfo,
            self._request_timeout,
        )
        return Group(info.group, info.name, info.owner, tuple(info.members))

    async def create_group(self, group_id: str, name: str, members: Sequence[str]) -> Group:
        """Create a group that this user owns, with `members`."""
        return await self._group_request(group_id, "create", members, name)

    async def invite(self, group_id: str, members: Sequence[str]) -> Group:
        """Add members to a group this user is in."""
        return await self._group_request(group_id, "invite", members)

    async def kick(self, group_id: str, members: Sequence[str]) -> Group:
        """Remove members from a group this user owns."""
        return await self._group_request(group_id, "kick", members)

    async def quit_group(self, group_id: str) -> Group:
        """Leave a group (its owner dismisses it instead)."""
        return await self._group_request(group_id, "quit")

    async def dismiss_group(self, group_id: str) -> Group:
        """End a group this user owns: nobody can send to it or read it any more."""
        return await self._group_request(group_id, "dismiss")

    async def rename_group(self, group_id: str, name: str) -> Group:
        """Rename a group this user owns."""
        return await self._group_request(group_id, "rename", name=name)

    async def group_info(self, group_id: str) -> Group:
        """A group this user is in, as it is now."""
        return await self._group_request(group_id, "info")
