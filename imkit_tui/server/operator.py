"""What the app server may do on a running IMServer, with no device of its own: post a
message as any user, end a user's devices, change a user's privacy or a conversation's
settings and tell that user's devices, and run the group operations the server answers
for its clients (server/handlers/groups.py), so the Server API reuses their rules.

Composed around the server's public surface (its store, devices, fan-out and token
issuing) and the handlers' own functions, with the server as their context.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from imkit_tui import messages
from imkit_tui.protocol import (
    ConversationType,
    ConversationUpdate,
    ConvRef,
    Frame,
    MessageRecord,
    checked_content,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.server.app import IMServer
from imkit_tui.server.group_store import GroupRecord, group_key
from imkit_tui.server.handlers import groups
from imkit_tui.server.handlers.posting import message_record, post, receivers
from imkit_tui.server.handlers.privacy import privacy_state
from imkit_tui.server.privacy_store import PrivacyRules
from imkit_tui.server.routing import Route, route_send, system_route
from imkit_tui.server.store import private_key
from imkit_tui.server.stores import AnyStore


@dataclass(frozen=True, slots=True)
class Posted:
    """A message the operator posted: its uid, the conversation's seq (0 for a status
    message, which is not stored) and when."""

    uid: str
    seq: int
    sent_at: int


def group_route(group_id: str, members: Sequence[str]) -> Route:
    """The route of a message to a group with these `members`, whoever sends it."""
    seen = ConvRef(type=ConversationType.GROUP, target=group_id)
    return Route(
        conv_type=ConversationType.GROUP,
        conv_key=group_key(group_id),
        members=(),
        deliveries=tuple((member, seen) for member in members),
    )


async def private_route(store: AnyStore, sender: str, receiver: str) -> Route:
    """The route of a private message from `sender` to `receiver`."""
    return await route_send(store, sender, ConvRef.private(receiver), 0)


class Operator:
    """The app server's hands on `server` (started: its store is open)."""

    def __init__(self, server: IMServer) -> None:
        self._server = server

    @property
    def server(self) -> IMServer:
        """The server operated on."""
        return self._server

    @property
    def store(self) -> AnyStore:
        """The server's store (ProtocolError 90006 once it is stopping)."""
        return self._server.require_store()

    def token(self, user_id: str, version: int, ttl_seconds: int | None) -> str:
        """A login token for `user_id`, signed with the server's app secret."""
        return self._server.issue_token(user_id, version, ttl_seconds)

    def link_key(self) -> bytes:
        """The key that signs the links the API hands out (the app secret)."""
        return self._server.link_key()

    def online_devices(self, user_id: str) -> int:
        """How many devices of `user_id` are connected."""
        return self._server.online_devices(user_id)

    def block_devices(self, user_id: str, until_ms: int) -> int:
        """Close every device of `user_id` (31009), and any logging in before `until_ms`;
        how many were connected."""
        return self._server.devices.block(user_id, until_ms)

    def unblock_devices(self, user_id: str) -> None:
        """Let devices of `user_id` log in again."""
        self._server.devices.unblock(user_id)

    def deliver(self, route: Route, record: MessageRecord) -> None:
        """Push `record` along `route` to every receiving device (record.seq is the
        conversation's; each member gets it numbered their own way)."""
        self._server.fanout.deliver(route, record, skip=None)

    def tell_devices(self, user_id: str, frame: Frame) -> None:
        """Push `frame` to every device of `user_id`."""
        self._server.fanout.tell(user_id, frame)

    async def post(
        self,
        route: Route,
        sender: str,
        object_name: str,
        content: dict[str, Any],
        *,
        audience: frozenset[str] | None = None,
        to_sender: bool = True,
        status: bool = False,
    ) -> Posted:
        """Store a message `sender` sends along `route` (to `audience` only, when given)
        and push it; a status message (`status`, or a type that is never stored) is
        only pushed to whoever is online: not stored, not counted. With
        `to_sender` false the sender's own devices get no push (it is still in their
        history, as a message they sent)."""
        checked_content(content, self._server.config.max_content_bytes)
        if status or not messages.lookup(object_name).stored:
            sent_at = now_ms()
            uid = new_uuid7(sent_at)
            conv = ConvRef(type=route.conv_type, target=sender)  # each receiver's own
            record = message_record(
                conv, uid, 0, sender, object_name, content, new_uuid7(), sent_at
            )
            self._server.fanout.deliver(
                receivers(route, sender, audience, to_sender), record, skip=None
            )
            return Posted(uid, 0, sent_at)
        record = await post(
            self._server, route, sender, object_name, content, audience, to_sender=to_sender
        )
        return Posted(record.uid, record.seq, record.sent_at)

    def system_route(self, user_id: str) -> Route:
        """The route into `user_id`'s system conversation."""
        return system_route(user_id)

    def push_privacy(self, user_id: str, rules: PrivacyRules) -> None:
        """Tell every device of `user_id` their privacy rules changed."""
        self.tell_devices(user_id, privacy_state(rules))

    async def set_muted(self, user_id: str, conv: ConvRef, muted: bool) -> bool:
        """Set do-not-disturb of `user_id` on `conv` and push the new state to their
        devices; False when `user_id` is not in that conversation."""
        store = self.store
        key = await self.conversation_key(user_id, conv)
        if key is None:
            return False
        conv_id = await store.conversation_id(key, user_id)
        if conv_id is None:
            if conv.type != ConversationType.PRIVATE:
                return False
            route = await private_route(store, user_id, conv.target)
            conv_id = await store.ensure_conversation(route.conv_type, key, route.members)
        changed = await store.members.update_settings(
            user_id, conv_id, muted=muted, pinned=None, marked_unread=None
        )
        if changed:
            state = await store.members.conversation_state(user_id, conv_id)
            if state is not None:
                self.tell_devices(user_id, ConversationUpdate(state=state))
        return True

    async def muted(self, user_id: str, conv: ConvRef) -> bool | None:
        """Whether `user_id` muted `conv`; None when not in that conversation."""
        store = self.store
        key = await self.conversation_key(user_id, conv)
        if key is None:
            return None
        conv_id = await store.conversation_id(key, user_id)
        if conv_id is None:
            return False if conv.type == ConversationType.PRIVATE else None
        state = await store.members.conversation_state(user_id, conv_id)
        return bool(state.muted) if state is not None else None

    async def conversation_key(self, user_id: str, conv: ConvRef) -> str | None:
        """The store key of `conv` as `user_id` has it; None when it cannot be theirs."""
        if conv.type == ConversationType.PRIVATE:
            return private_key(user_id, conv.target)
        if conv.type == ConversationType.GROUP:
            members = await self.store.groups.members(conv.target) or []
            return group_key(conv.target) if user_id in members else None
        if conv.type == ConversationType.SYSTEM:
            return system_route(user_id).conv_key
        return None

    # ---------------------------------------------------------------- groups

    async def create_group(self, group_id: str, name: str, owner: str, others: list[str]) -> bool:
        """Create a group as its clients do (the "created" notice); False if it exists."""
        return await self._server.create_group(group_id, name, owner, others)

    async def add_members(self, group: GroupRecord, operator: str, users: Sequence[str]) -> None:
        """Add `users` to `group` (the "added" notice). Past the member cap nobody is
        added: ProtocolError 33003 (INVALID_PARAMETER)."""
        await groups.invite(self._server, group, operator, users, 0)

    async def remove_members(
        self, group: GroupRecord, operator: str, users: list[str], how: str
    ) -> None:
        """Remove `users` from `group`, `how` being "quit", "kick" or "dismiss" (the
        notice goes first, while they are still members)."""
        await groups.leave(self._server, group, operator, users, how)

    async def rename_group(self, group: GroupRecord, name: str) -> None:
        """Rename `group` (the "renamed" notice, from its owner)."""
        await groups.rename(self._server, group, group.owner, name)
