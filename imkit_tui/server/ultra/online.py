"""Which members of each ultra group are connected: the fan-out's audience.

A send reaches the members online only, so the server keeps, for each group, the set of
its members with a device connected, filled when a user's first device logs in (their
groups, at most `max_joined` of them) and emptied when their last device goes. A send
then costs the members online, never the members: 100,000 members of whom 1,000 are
online cost what 1,000 members do. It is also how a connected user's membership is
checked on every frame without reading the store.
"""

from __future__ import annotations

from collections.abc import Iterable


class UltraOnline:
    """Online members by group, and the groups of each online user."""

    def __init__(self) -> None:
        self._by_group: dict[str, set[str]] = {}
        self._by_user: dict[str, set[str]] = {}

    def user_online(self, user_id: str, groups: Iterable[str]) -> None:
        """`user_id`'s first device connected; they are in `groups`."""
        mine = self._by_user.setdefault(user_id, set())
        for group in groups:
            mine.add(group)
            self._by_group.setdefault(group, set()).add(user_id)

    def user_offline(self, user_id: str) -> None:
        """`user_id`'s last device is gone."""
        for group in self._by_user.pop(user_id, ()):
            online = self._by_group.get(group)
            if online is not None:
                online.discard(user_id)
                if not online:
                    del self._by_group[group]

    def is_online(self, user_id: str) -> bool:
        """Whether `user_id` has a device connected (as this index knows)."""
        return user_id in self._by_user

    def joined(self, group_id: str, user_id: str) -> None:
        """`user_id` joined `group_id` (noted only while they are online)."""
        mine = self._by_user.get(user_id)
        if mine is not None:
            mine.add(group_id)
            self._by_group.setdefault(group_id, set()).add(user_id)

    def left(self, group_id: str, user_id: str) -> None:
        """`user_id` left `group_id`."""
        mine = self._by_user.get(user_id)
        if mine is not None:
            mine.discard(group_id)
        online = self._by_group.get(group_id)
        if online is not None:
            online.discard(user_id)

    def dismissed(self, group_id: str) -> set[str]:
        """`group_id` is gone: forget it; return who of it was online."""
        online = self._by_group.pop(group_id, set())
        for user in online:
            self._by_user.get(user, set()).discard(group_id)
        return online

    def members_online(self, group_id: str) -> frozenset[str] | set[str]:
        """The members of `group_id` online now (do not change it)."""
        return self._by_group.get(group_id, _NONE)

    def is_member(self, group_id: str, user_id: str) -> bool:
        """Whether the online `user_id` is in `group_id`."""
        return group_id in self._by_user.get(user_id, _NONE)


_NONE: frozenset[str] = frozenset()
