"""The ultra group store as its users see it (the store's `ultra`): UltraStore on
SQLite (ultra/store.py) and PgUltra on PostgreSQL (pg/ultra.py) both implement it.
Nothing here names a connection or SQL."""

from __future__ import annotations

from typing import Protocol

from imkit_tui.protocol import UltraChannelState
from imkit_tui.server.ultra.counts import ChannelView
from imkit_tui.server.ultra.records import Channel, MemberChannel, MemberRow, UltraGroup


class UltraRecords(Protocol):
    """Ultra groups: groups, channels, members, voices, each member's own settings and
    read positions, and the counts read from the counted rows."""

    async def group(self, group_id: str) -> UltraGroup | None:
        """The group as it is now (None: there is none)."""
        ...

    async def require(self, group_id: str) -> UltraGroup:
        """The group; UltraRefused 24410 when there is none."""
        ...

    async def create(
        self,
        group_id: str,
        name: str,
        owner: str,
        now_ms: int,
        *,
        max_joined: int,
        default_level: str = "all",
        pre_join_history: bool = False,
    ) -> None:
        """Create a group owned (and joined) by `owner`, with its default channel.
        UltraRefused: the id is taken (33003), the owner is in `max_joined` groups (24412)."""
        ...

    async def join(self, group_id: str, user_id: str, now_ms: int, *, max_joined: int) -> bool:
        """`user_id` joins (False: a member already). UltraRefused 24410, 24412."""
        ...

    async def quit(self, group_id: str, user_id: str) -> bool:
        """`user_id` leaves (False: was not a member); their own rows go with them."""
        ...

    async def dismiss(self, group_id: str) -> list[str]:
        """Delete the group, its channels' messages and every member's rows; return the
        members' ids."""
        ...

    async def update_group(
        self,
        group_id: str,
        *,
        name: str | None = None,
        default_level: str | None = None,
        pre_join_history: bool | None = None,
        all_muted: bool | None = None,
    ) -> None:
        """Change the group's name or options (fields left None stay)."""
        ...

    async def set_voices(self, group_id: str, kind: str, user_ids: list[str], on: bool) -> None:
        """Add `user_ids` to (or with `on` False, remove them from) the muted or the
        speakers (`kind`)."""
        ...

    async def add_channel(
        self, group_id: str, channel: str, name: str, now_ms: int, *, max_channels: int
    ) -> None:
        """Make a channel. UltraRefused: it exists (33003), too many (24413)."""
        ...

    async def rename_channel(self, group_id: str, channel: str, name: str) -> None:
        """Rename a channel."""
        ...

    async def delete_channel(self, group_id: str, channel: Channel) -> None:
        """Delete a channel and its messages (and every member's view of it)."""
        ...

    async def floor_before(self, group_id: str, channels: list[Channel], before: int) -> int:
        """Delete, for everyone, the messages sent before `before` in `channels`;
        how many went."""
        ...

    async def member(self, group_id: str, user_id: str) -> MemberRow | None:
        """`user_id`'s row in the group (None: not a member)."""
        ...

    async def member_channels(self, group_id: str, user_id: str) -> dict[str, MemberChannel]:
        """`user_id`'s own view of each channel they read or set (by channel id)."""
        ...

    async def groups_of(self, user_id: str) -> list[str]:
        """The ultra groups `user_id` is in."""
        ...

    async def push_settings(
        self, group_id: str, channel: str, after: str, limit: int
    ) -> list[tuple[str, str, bool, str, bool]]:
        """A page of members after `after` with (user, group level, group dnd, channel
        level, channel dnd)."""
        ...

    async def set_member(
        self,
        group_id: str,
        user_id: str,
        channel: str | None,
        *,
        level: str | None = None,
        dnd: bool | None = None,
        cleared_at: int | None = None,
        read_seq: int | None = None,
    ) -> bool:
        """Change the member's own settings of the group (`channel` None) or of one
        channel; `cleared_at` and `read_seq` only move forward. False: nothing changed."""
        ...

    async def states(
        self,
        user_id: str,
        group: UltraGroup,
        member: MemberRow,
        channels: list[str] | None,
        retention_from: int,
    ) -> list[UltraChannelState]:
        """`user_id`'s state of each channel of `group` (of `channels` only, if given),
        unread and mention counts included."""
        ...

    async def view(
        self,
        group: UltraGroup,
        channel: Channel,
        user_id: str,
        member: MemberRow,
        retention_from: int,
    ) -> ChannelView:
        """Where `user_id`'s view of `channel` starts (its conversation id, 0: none)."""
        ...

    async def message(self, conv_key: str, uid: str) -> tuple[int, str, str] | None:
        """The seq, sender and type of message `uid` in a channel (None: not there)."""
        ...

    async def max_seq(self, channel: Channel) -> int:
        """The newest seq of a channel (0: nothing sent yet)."""
        ...

    async def edits(self, conv_id: int, low: int, high: int) -> dict[int, tuple[int, int]]:
        """The edited messages with seqs in [low, high]: seq -> (edited_at, edit_seq)."""
        ...

    async def prune(self, older_than_ms: int) -> int:
        """Delete every channel's messages older than `older_than_ms`; how many went."""
        ...
