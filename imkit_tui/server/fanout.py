"""Delivering a message to the devices of its receivers (in-process: every device is a
connection of this server)."""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from imkit_tui.protocol import ConvRef, MessageRecord, Push, SendAck, SendMessage, encode
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.server.routing import Route
from imkit_tui.server.seq_views import TargetedMessages
from imkit_tui.server.session import Session


class Fanout:
    """Pushes messages to the online devices of `sessions` (user id → devices).

    `targeted(conv_key)` gives a conversation's targeted messages, by which each member
    numbers it their own way.
    """

    def __init__(
        self,
        sessions: dict[str, set[Session]],
        targeted: Callable[[str], TargetedMessages | None],
    ) -> None:
        self._sessions = sessions
        self._targeted = targeted

    def deliver(self, route: Route, record: MessageRecord, skip: Session | None) -> None:
        """Push to every receiving device (the sending device excepted), each user seeing
        the conversation their own way and numbering it their own way (`record.seq` is the
        conversation's seq; 0 for a status message, which has none).

        The Push is encoded once for every receiver who sees it alike (all the members of
        a group, unless targeted messages number it differently for some) and the same
        bytes are written to each of their devices.
        """
        targeted = self._targeted(route.conv_key) if record.seq else None
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

    def relay_status(self, session: Session, frame: SendMessage, route: Route) -> None:
        """A status message (typing, ...) goes to whoever is online along `route`, acked
        at once with seq 0: it is neither stored nor counted."""
        sent_at = now_ms()
        uid = new_uuid7(sent_at)
        session.send(
            SendAck(re=frame.id, cmid=frame.cmid, uid=uid, seq=0, sent_at=sent_at, conv=frame.conv)
        )
        record = MessageRecord(
            uid=uid,
            conv=frame.conv,
            seq=0,
            sender=session.user_id,
            object_name=frame.object_name,
            content=frame.content,
            cmid=frame.cmid,
            sent_at=sent_at,
        )
        self.deliver(route, record, skip=session)
