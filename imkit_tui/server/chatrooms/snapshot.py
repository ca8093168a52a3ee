"""What survives a restart of the chatrooms: the rooms (id, name, creation time), the
keep-alive set, the whitelists, the low-priority names, and every mute and ban with its
end. Members do not: they are online only, and rejoin. No I/O: a snapshot is a plain
JSON-ready dict, written and read by the store (state_store.py)."""

from __future__ import annotations

from typing import Any

from imkit_tui.server.chatrooms.service import ChatroomService


def snapshot(service: ChatroomService, now_ms: int) -> dict[str, Any]:
    """The service's durable settings as of `now_ms`."""
    policy = service.policy
    rooms = service.rooms.values()
    return {
        "rooms": [[r.id, r.name, r.created_at, r.seq] for r in rooms],
        "keepalive": sorted(service.keepalive),
        "whitelisted_types": sorted(policy.whitelisted_types),
        "low_priority": sorted(policy.low_priority),
        "user_whitelists": {r.id: sorted(policy.users(r.id)) for r in rooms if policy.users(r.id)},
        "mutes": sorted([room, user, until] for (room, user), until in service.mutes.items(now_ms)),
        "bans": sorted([room, user, until] for (room, user), until in service.bans.items(now_ms)),
        "global_mutes": sorted([user, until] for user, until in service.global_mutes.items(now_ms)),
        "room_mutes": sorted([room, until] for room, until in service.room_mutes.items(now_ms)),
    }


def restore(service: ChatroomService, saved: dict[str, Any], now_ms: int) -> None:
    """Bring back what `saved` (a snapshot) holds into a service just made; marks that
    ended meanwhile are let go by the next sweep."""
    for room_id, name, created_at, seq in saved.get("rooms", []):
        room = service.create(str(room_id), str(name), int(created_at), int(seq))
        room.empty_since = now_ms  # idle from the restart on, not from before it
    service.keepalive.update(str(r) for r in saved.get("keepalive", []))
    policy = service.policy
    policy.whitelisted_types.update(str(n) for n in saved.get("whitelisted_types", []))
    policy.low_priority.update(str(n) for n in saved.get("low_priority", []))
    for room_id, users in saved.get("user_whitelists", {}).items():
        policy.allow_users(str(room_id), [str(u) for u in users])
    for room_id, user, until in saved.get("mutes", []):
        service.mutes.set((str(room_id), str(user)), int(until))
    for room_id, user, until in saved.get("bans", []):
        service.bans.set((str(room_id), str(user)), int(until))
    for user, until in saved.get("global_mutes", []):
        service.global_mutes.set(str(user), int(until))
    for room_id, until in saved.get("room_mutes", []):
        service.room_mutes.set(str(room_id), int(until))
