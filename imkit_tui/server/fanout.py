"""Delivering to the devices of receivers: the interface handlers push through, and the
in-process one (every device is a connection of this server).

Handlers only ever see :class:`Fanout`; a bus that reaches devices connected to other
nodes implements the same two calls and plugs in without touching them.
"""

from __future__ import annotations

from typing import Protocol

import msgspec

from imkit_tui.protocol import ConvRef, Frame, MessageRecord, Push, encode
from imkit_tui.server.routing import Route
from imkit_tui.server.seq_views import TargetedMessages
from imkit_tui.server.session import Session


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


class LocalFanout:
    """The in-process :class:`Fanout`: pushes to the devices in `sessions` (user id →
    its connected devices); `audiences()` gives the store's targeted messages, by which
    each member numbers a conversation their own way (a callable: the store opens later)."""

    def __init__(self, sessions: dict[str, set[Session]], audiences: TargetedLookupSource) -> None:
        self._sessions = sessions
        self._audiences = audiences

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


class TargetedLookupSource(Protocol):
    """Gives the current :class:`TargetedLookup` (raising when the server is stopping)."""

    def __call__(self) -> TargetedLookup:
        """The lookup."""
        ...
