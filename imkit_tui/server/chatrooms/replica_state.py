"""The whole state of the chatrooms as the chatroom log of several nodes keeps it now and
then, so a node that starts reads one snapshot and the acts after it, not the log from
its beginning. Beyond the settings (snapshot.py): the members with their join times,
the attributes, the latest messages, whether each room distributes, when it went empty,
and who is online on which node. No I/O: a JSON-ready dict.

Not kept: the send budgets (they start empty), the seq ranges each member saw (a pull
after a node started from a snapshot filters by memberships since), and the auto-exit
countdowns (members offline in the snapshot count from the restore on).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from imkit_tui.protocol import MessageRecord
from imkit_tui.protocol.chatroom_frames import ChatroomAttr
from imkit_tui.server.chatrooms.snapshot import restore, snapshot

if TYPE_CHECKING:
    from imkit_tui.server.chatrooms.live import ChatroomLive


def full_snapshot(live: ChatroomLive, at_ms: int) -> dict[str, Any]:
    """Everything the log's acts built, as of `at_ms` (the last act's time)."""
    rooms = live.service.rooms.values()
    body = snapshot(live.service, at_ms)
    body["members"] = {r.id: [[u, t] for u, t in r.members.items()] for r in rooms if r.members}
    body["attributes"] = {
        r.id: msgspec.to_builtins(r.attributes.listed()) for r in rooms if len(r.attributes)
    }
    body["recent"] = {r.id: msgspec.to_builtins(list(r.recent)) for r in rooms if r.recent}
    body["paused"] = sorted(r.id for r in rooms if not r.distributing)
    body["empty_since"] = {r.id: r.empty_since for r in rooms}
    body["presence"] = live.presence.as_json()
    return body


def full_restore(live: ChatroomLive, saved: dict[str, Any], at_ms: int) -> None:
    """Bring back what `saved` (a full snapshot) holds into chatrooms just renewed."""
    live.presence.load(saved.get("presence", {}))
    service = live.service
    restore(service, saved, at_ms)
    rooms = service.rooms
    for room_id, since in saved.get("empty_since", {}).items():
        if room_id in rooms:
            rooms[room_id].empty_since = int(since)
    for room_id in saved.get("paused", []):
        if room_id in rooms:
            rooms[room_id].distributing = False
    for room_id, members in saved.get("members", {}).items():
        room = rooms.get(room_id)
        if room is not None:
            for user, joined_at in members:
                service.restore_member(room, str(user), int(joined_at))
    for room_id, attrs in saved.get("attributes", {}).items():
        if room_id in rooms:
            rooms[room_id].attributes.restore(msgspec.convert(attrs, list[ChatroomAttr]))
    for room_id, recent in saved.get("recent", {}).items():
        if room_id in rooms:
            rooms[room_id].recent.extend(msgspec.convert(recent, list[MessageRecord]))
