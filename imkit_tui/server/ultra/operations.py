"""Ultra group operations, the same for a client's UltraRequest and the Server API:
check, persist (the store's `ultra`), keep the index of who is online in step, and push
the group as it now is to the members online (encoded once for all of them), through
the fan-out: on every node, when there are several.

A client's request is checked for ownership here (`by`); the Server API is trusted and
passes `by=None`.
"""

from __future__ import annotations

from dataclasses import dataclass

from imkit_tui.protocol import (
    DEFAULT_CHANNEL,
    ErrorCode,
    UltraChannel,
    UltraDeleted,
    UltraInfo,
    encode,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.fanout import Fanout
from imkit_tui.server.ultra.config import UltraPolicy
from imkit_tui.server.ultra.interface import UltraRecords
from imkit_tui.server.ultra.levels import LEVELS
from imkit_tui.server.ultra.online import UltraOnline
from imkit_tui.server.ultra.records import Channel, UltraGroup, UltraRefused
from imkit_tui.server.ultra.store_rows import MUTED, SPEAKER

__all__ = ["MUTED", "SPEAKER", "UltraOps", "check_level", "info_of"]


def info_of(group: UltraGroup, *, member: bool, request_id: int = 0) -> UltraInfo:
    """The UltraInfo of `group` as it is now (never its members)."""
    return UltraInfo(
        re=request_id,
        group=group.group_id,
        name=group.name,
        owner=group.owner,
        channels=[
            UltraChannel(channel=c.channel, name=c.name, created_at=c.created_at)
            for c in group.channels.values()
        ],
        member_count=group.member_count,
        member=member,
        muted=sorted(group.voices.muted),
        all_muted=group.voices.all_muted,
        speakers=sorted(group.voices.speakers),
        default_level=group.default_level,  # type: ignore[arg-type]
        pre_join_history=group.pre_join_history,
    )


def check_level(level: str) -> str:
    """A level as given, refused (33003) when it is not one."""
    if level not in LEVELS:
        raise UltraRefused(ErrorCode.INVALID_PARAMETER, f"no such level {level!r}")
    return level


@dataclass(frozen=True, slots=True)
class UltraOps:
    """The operations, over the store, the online index and the fan-out."""

    store: UltraRecords
    online: UltraOnline
    fanout: Fanout
    policy: UltraPolicy

    async def member_group(self, group_id: str, user_id: str) -> UltraGroup:
        """The group, if `user_id` is in it: 24410 no such group, 24406 not a member."""
        group = await self.store.require(group_id)
        if (
            not self.online.is_member(group_id, user_id)
            and await self.store.member(group_id, user_id) is None
        ):
            raise UltraRefused(ErrorCode.NOT_IN_ULTRA_GROUP, "not in this ultra group")
        return group

    async def owned(self, group_id: str, by: str | None, what: str) -> UltraGroup:
        """The group, if `by` owns it (None: the trusted Server API)."""
        group = await self.store.require(group_id)
        if by is not None and by != group.owner:
            raise UltraRefused(ErrorCode.INVALID_PARAMETER, f"only the owner may {what}")
        return group

    async def create(
        self,
        group_id: str,
        name: str,
        owner: str,
        *,
        level: str | None = None,
        pre_join_history: bool | None = None,
    ) -> UltraGroup:
        """Create a group owned by `owner` (24412 past the cap of groups)."""
        await self.store.create(
            group_id,
            name or group_id,
            owner,
            now_ms(),
            max_joined=self.policy.max_joined,
            default_level=check_level(level) if level and level != "default" else "all",
            pre_join_history=bool(pre_join_history),
        )
        self.fanout.group_changed(group_id, owner, True)
        return await self.store.require(group_id)

    async def join(self, group_id: str, user_id: str) -> UltraGroup:
        """`user_id` joins (24410, 24412)."""
        await self.store.join(group_id, user_id, now_ms(), max_joined=self.policy.max_joined)
        self.fanout.group_changed(group_id, user_id, True)
        return await self.store.require(group_id)

    async def quit(self, group_id: str, user_id: str) -> UltraGroup:
        """`user_id` leaves; the owner may not (they dismiss)."""
        group = await self.store.require(group_id)
        if user_id == group.owner:
            raise UltraRefused(ErrorCode.INVALID_PARAMETER, "the owner dismisses instead")
        if not await self.store.quit(group_id, user_id):
            raise UltraRefused(ErrorCode.NOT_IN_ULTRA_GROUP, "not in this ultra group")
        self.fanout.group_changed(group_id, user_id, False)
        return await self.store.require(group_id)

    async def dismiss(self, group_id: str, by: str | None) -> UltraInfo:
        """Dismiss the group: everything goes; the members online are told."""
        group = await self.owned(group_id, by, "dismiss the group")
        await self.store.dismiss(group_id)
        gone = UltraInfo(group=group_id, name=group.name, owner=group.owner, dismissed=True)
        self.fanout.tell_group(group_id, encode(gone))
        self.fanout.group_changed(group_id, "", False)
        return gone

    async def update(
        self,
        group_id: str,
        by: str | None,
        *,
        name: str | None = None,
        level: str | None = None,
        pre_join_history: bool | None = None,
        all_muted: bool | None = None,
    ) -> UltraGroup:
        """Rename or configure the group, mute or unmute all (owner)."""
        await self.owned(group_id, by, "change the group")
        if level is not None:
            check_level(level)
            level = "all" if level == "default" else level
        await self.store.update_group(
            group_id,
            name=name,
            default_level=level,
            pre_join_history=pre_join_history,
            all_muted=all_muted,
        )
        return await self.changed(group_id)

    async def voices(
        self, group_id: str, by: str | None, kind: str, user_ids: list[str], on: bool
    ) -> UltraGroup:
        """Mute or unmute members (`kind` MUTED), add or remove speakers (SPEAKER)."""
        await self.owned(group_id, by, "mute members")
        if not user_ids:
            raise UltraRefused(ErrorCode.INVALID_PARAMETER, "name the members")
        await self.store.set_voices(group_id, kind, user_ids, on)
        return await self.changed(group_id)

    async def add_channel(
        self, group_id: str, by: str | None, channel: str, name: str
    ) -> UltraGroup:
        """Make a channel (24413 past the cap)."""
        await self.owned(group_id, by, "make channels")
        if channel == DEFAULT_CHANNEL:
            raise UltraRefused(ErrorCode.INVALID_PARAMETER, "name the channel")
        await self.store.add_channel(
            group_id, channel, name or channel, now_ms(), max_channels=self.policy.max_channels
        )
        return await self.changed(group_id)

    async def rename_channel(
        self, group_id: str, by: str | None, channel: str, name: str
    ) -> UltraGroup:
        """Rename a channel (24414 no such channel)."""
        group = await self.owned(group_id, by, "rename channels")
        self.channel(group, channel)
        await self.store.rename_channel(group_id, channel, name)
        return await self.changed(group_id)

    async def delete_channel(self, group_id: str, by: str | None, channel: str) -> UltraGroup:
        """Delete a channel and its messages; the default channel stays."""
        group = await self.owned(group_id, by, "delete channels")
        if channel == DEFAULT_CHANNEL:
            raise UltraRefused(ErrorCode.INVALID_PARAMETER, "the default channel stays")
        await self.store.delete_channel(group_id, self.channel(group, channel))
        return await self.changed(group_id)

    async def delete_before(
        self, group_id: str, by: str, channel: str | None, before: int
    ) -> UltraDeleted:
        """Delete, for everyone, what was sent before `before` in `channel` (None: all
        of them); the members online are told."""
        group = await self.owned(group_id, by or None, "delete messages for everyone")
        channels = (
            list(group.channels.values()) if channel is None else [self.channel(group, channel)]
        )
        await self.store.floor_before(group_id, channels, before)
        done = UltraDeleted(
            group=group_id, channel=channel, before=before, for_everyone=True, by=by
        )
        self.fanout.tell_group(group_id, encode(done))
        return done

    @staticmethod
    def channel(group: UltraGroup, channel: str) -> Channel:
        """A channel of `group` (24414 when there is none)."""
        found = group.channels.get(channel)
        if found is None:
            raise UltraRefused(ErrorCode.ULTRA_CHANNEL_NOT_FOUND, f"no channel {channel!r}")
        return found

    async def changed(self, group_id: str) -> UltraGroup:
        """The group after a change, pushed as an UltraInfo to the members online."""
        group = await self.store.require(group_id)
        self.fanout.tell_group(group_id, encode(info_of(group, member=True)))
        return group
