"""Delivering to the devices of receivers: the interface handlers push through, and the
in-process one (every device is a connection of this server).

Handlers only ever see :class:`Fanout`; a bus that reaches devices connected to other
nodes implements the same calls and plugs in without touching them. An ultra group's
audience is its members online, which each node knows of its own devices only
(server/ultra/online.py): the calls for a group name the group, and each node reaches
its own members of it.
"""

from __future__ import annotations

from typing import Protocol

import msgspec

from imkit_tui.protocol import ConversationType, ConvRef, Frame, MessageRecord, Push, encode
from imkit_tui.server.routing import Route
from imkit_tui.server.seq_views import TargetedMessages
from imkit_tui.server.session import Session
from imkit_tui.server.ultra.online import UltraOnline


class TargetedLookup(Protocol):
    """Where the conversations' targeted messages are known (the store's `audiences`)."""

    def targeted(self, conv_key: str) -> TargetedMessages | None:
        """The targeted messages of `conv_key` (None: it has none)."""
        ...


class Fanout(Protocol):
    """Delivers to the online devices of users, one device excepted when asked."""

    def deliver(self, route: Route, record: MessageRecord, skip: Session | None) -> None:
        """Push `record` to every receiving device along `route` but `skip`, each user
        seeing the conversation and numbering it their own way (`record.seq` is the
        conversation's seq; 0 for a status message, which has none)."""
        ...

    def tell(self, user_id: str, frame: Frame, skip: Session | None = None) -> None:
        """Send `frame` (a state push: conversation, privacy, receipts) to every device
        of `user_id` but `skip`."""
        ...

    def tell_encoded(self, user_id: str, data: bytes, skip: Session | None = None) -> None:
        """Send an encoded frame to every device of `user_id` but `skip`: a push to many
        users (an ultra group's change) is encoded once for all of them."""
        ...

    def tell_group(self, group_id: str, data: bytes) -> None:
        """Send an encoded frame to every device of the members of ultra group
        `group_id` who are online (on every node)."""
        ...

    def group_changed(self, group_id: str, user_id: str, joined: bool) -> None:
        """`user_id` joined (`joined`) or left ultra group `group_id`; `user_id` "":
        the group is gone. Keeps who of the group is online in step (on every node)."""
        ...


class LocalFanout:
    """The in-process :class:`Fanout`: pushes to the devices in `sessions` (user id →
    its connected devices); `audiences()` gives the store's targeted messages, by which
    each member numbers a conversation their own way (a callable: the store opens later)."""

    def __init__(
        self,
        sessions: dict[str, set[Session]],
        audiences: TargetedLookupSource,
        ultra_online: UltraOnline,
    ) -> None:
        self._sessions = sessions
        self._audiences = audiences
        self._ultra = ultra_online

    def deliver(self, route: Route, record: MessageRecord, skip: Session | None) -> None:
        """See :meth:`Fanout.deliver`. The Push is encoded once for every receiver who
        sees it alike (all the members of a group, unless targeted messages number it
        differently for some) and the same bytes are written to each of their devices."""
        targeted = self._audiences().targeted(route.conv_key) if record.seq else None
        sessions = self._sessions
        seen: tuple[ConvRef, int] | None = None
        data = b""
        for user_id, seen_as in route.deliveries:
            devices = sessions.get(user_id)
            if not devices or (skip is not None and len(devices) == 1 and skip in devices):
                continue
            seq = targeted.view(user_id).to_member(record.seq) if targeted else record.seq
            if seen is None or seen[1] != seq or seen[0] != seen_as:
                seen = (seen_as, seq)
                own = msgspec.structs.replace(record, conv=seen_as, seq=seq)
                data = encode(Push(message=own))
            for device in devices:  # writing never changes who is online
                if device is not skip:
                    device.send_encoded(data)

    def tell(self, user_id: str, frame: Frame, skip: Session | None = None) -> None:
        """See :meth:`Fanout.tell`."""
        for device in tuple(self._sessions.get(user_id, ())):
            if device is not skip:
                device.send(frame)

    def tell_encoded(self, user_id: str, data: bytes, skip: Session | None = None) -> None:
        """See :meth:`Fanout.tell_encoded`."""
        for device in tuple(self._sessions.get(user_id, ())):
            if device is not skip:
                device.send_encoded(data)

    def tell_group(self, group_id: str, data: bytes) -> None:
        """See :meth:`Fanout.tell_group`: the members online here."""
        for user_id in tuple(self._ultra.members_online(group_id)):
            self.tell_encoded(user_id, data)

    def group_changed(self, group_id: str, user_id: str, joined: bool) -> None:
        """See :meth:`Fanout.group_changed`: this node's index of who is online."""
        if not user_id:
            self._ultra.dismissed(group_id)
        elif joined:
            self._ultra.joined(group_id, user_id)
        else:
            self._ultra.left(group_id, user_id)

    def deliver_to_group(self, group_id: str, conv_key: str, record: MessageRecord) -> None:
        """Deliver `record` (a message of one of ultra group `group_id`'s channels, stored
        as `conv_key`) to the members of the group online here, as another node asked."""
        online = self._ultra.members_online(group_id)
        deliveries = tuple((user_id, record.conv) for user_id in online)
        self.deliver(
            Route(int(ConversationType.ULTRA_GROUP), conv_key, (), deliveries), record, None
        )


class TargetedLookupSource(Protocol):
    """Gives the current :class:`TargetedLookup` (raising when the server is stopping)."""

    def __call__(self) -> TargetedLookup:
        """The lookup."""
        ...
