"""Where a message goes: its stored conversation and who receives it, seen their way."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from imkit_tui.protocol import (
    SYSTEM_ACCOUNT,
    ConversationType,
    ConvRef,
    ErrorCode,
    ProtocolError,
)
from imkit_tui.protocol.public_frames import PUBLIC_TYPES
from imkit_tui.server.customer_service.records import cs_key
from imkit_tui.server.group_store import group_key
from imkit_tui.server.store_interface import Store
from imkit_tui.server.store_records import Member, private_key, system_key


@dataclass(frozen=True, slots=True)
class Route:
    """A send's destination.

    `members` create the conversation on its first message (private chats);
    `deliveries` name every user who receives it and the ConvRef they see it under.
    """

    conv_type: int
    conv_key: str
    members: tuple[Member, ...]
    deliveries: tuple[tuple[str, ConvRef], ...]

    def only(self, audience: frozenset[str] | None) -> Route:
        """This route delivering to `audience` only (all of it when None)."""
        if audience is None:
            return self
        kept = tuple((user, seen) for user, seen in self.deliveries if user in audience)
        return replace(self, deliveries=kept)


async def route_send(store: Store, sender: str, conv: ConvRef, request_id: int) -> Route:
    """The route of a message `sender` sends to `conv`; refused with a code if not allowed."""
    if conv.type == ConversationType.GROUP:
        members = await _group_members(store, conv, request_id)
        if sender not in members:
            raise ProtocolError(ErrorCode.NOT_IN_GROUP, "you are not in this group", request_id)
        seen = ConvRef(type=ConversationType.GROUP, target=conv.target)
        return Route(
            conv_type=ConversationType.GROUP,
            conv_key=group_key(conv.target),
            members=(),
            deliveries=tuple((member, seen) for member in members),
        )
    return _private_route(sender, private_peer(conv, request_id))


@lru_cache(maxsize=65536)
def _private_route(sender: str, peer: str) -> Route:
    """The route of `sender`'s messages to `peer` (the same for every send, so kept)."""
    return Route(
        conv_type=ConversationType.PRIVATE,
        conv_key=private_key(sender, peer),
        members=(Member(sender, peer), Member(peer, sender)),
        deliveries=((peer, ConvRef.private(sender)), (sender, ConvRef.private(peer)))
        if peer != sender
        else ((sender, ConvRef.private(peer)),),
    )


def targeted_audience(
    route: Route, sender: str, recipients: Sequence[str], request_id: int
) -> frozenset[str] | None:
    """Who sees a message sent to `recipients` only (None: no recipients, everyone).

    Only group messages can be targeted, to members of the group, and to at least one
    member besides the sender.
    """
    if not recipients:
        return None
    if route.conv_type != ConversationType.GROUP:
        raise ProtocolError(
            ErrorCode.INVALID_PARAMETER, "only group messages can be targeted", request_id
        )
    members = {user for user, _ in route.deliveries}
    strangers = sorted(set(recipients) - members)
    if strangers:
        raise ProtocolError(
            ErrorCode.INVALID_PARAMETER,
            f"not members of this group: {', '.join(strangers[:5])}",
            request_id,
        )
    audience = frozenset((sender, *recipients))
    if len(audience) < 2:
        raise ProtocolError(
            ErrorCode.INVALID_PARAMETER, "name at least one other member", request_id
        )
    return audience


def system_route(user_id: str) -> Route:
    """The route of a message into `user_id`'s system conversation."""
    seen = ConvRef(type=ConversationType.SYSTEM, target=SYSTEM_ACCOUNT)
    return Route(
        conv_type=ConversationType.SYSTEM,
        conv_key=system_key(user_id),
        members=(Member(user_id, SYSTEM_ACCOUNT),),
        deliveries=((user_id, seen),),
    )


async def readable_key(store: Store, user_id: str, conv: ConvRef, request_id: int) -> str:
    """The store key of a conversation `user_id` may read (membership is checked by the
    store's lookup, which joins on the members table).

    Someone who left a group (or whose group was dismissed) still reads what came before
    they left: the store caps their pulls and their state at that seq.
    """
    if conv.type == ConversationType.SYSTEM:
        if conv.target != SYSTEM_ACCOUNT or conv.channel:
            raise ProtocolError(ErrorCode.INVALID_PARAMETER, "invalid system target", request_id)
        return system_key(user_id)
    if conv.type == ConversationType.GROUP:
        _check_group_id(conv, request_id)
        members = await store.groups.members(conv.target) or []
        if user_id not in members and await store.groups.left_at(conv.target, user_id) is None:
            raise ProtocolError(ErrorCode.NOT_IN_GROUP, "you are not in this group", request_id)
        return group_key(conv.target)
    if conv.type in PUBLIC_TYPES:
        # A follower, or a former follower, who reads what came before unfollowing.
        _check_group_id(conv, request_id)
        key = f"{conv.type}:{conv.target}"
        if await store.conversation_id(key, user_id) is None:
            raise ProtocolError(ErrorCode.NOT_FOLLOWING, "follow this account first", request_id)
        return key
    if conv.type == ConversationType.CUSTOMER_SERVICE:
        return await _customer_service_key(store, user_id, conv, request_id)
    return private_key(user_id, private_peer(conv, request_id))


async def _customer_service_key(store: Store, user_id: str, conv: ConvRef, request_id: int) -> str:
    """A customer reads their own conversation with the service, ConvRef(5, account); an
    agent reads a customer's, ConvRef(5, customer), once seated in it."""
    if not conv.target or conv.channel:
        raise ProtocolError(ErrorCode.INVALID_PARAMETER, "invalid customer service", request_id)
    served = cs_key(conv.target)
    if conv.target != user_id and await store.conversation_id(served, user_id) is not None:
        return served
    return cs_key(user_id)


async def _group_members(store: Store, conv: ConvRef, request_id: int) -> list[str]:
    _check_group_id(conv, request_id)
    members = await store.groups.members(conv.target)
    if members is None:
        raise ProtocolError(ErrorCode.NOT_IN_GROUP, "no such group", request_id)
    return members


def _check_group_id(conv: ConvRef, request_id: int) -> None:
    if not conv.target or len(conv.target) > 64 or conv.channel:
        raise ProtocolError(ErrorCode.INVALID_PARAMETER, "invalid group id", request_id)


def private_peer(conv: ConvRef, request_id: int) -> str:
    """The peer of a private conversation; other types are refused here."""
    if conv.type == ConversationType.SYSTEM:
        raise ProtocolError(
            ErrorCode.INVALID_PARAMETER, "the system conversation is read-only", request_id
        )
    if conv.type == ConversationType.CHATROOM:
        raise ProtocolError(
            ErrorCode.INVALID_PARAMETER,
            "a chatroom has no read positions, settings or pages of its own here:"
            " send, recall and pull it (protocol/chatroom_frames.py)",
            request_id,
        )
    if conv.type != ConversationType.PRIVATE:
        raise ProtocolError(
            ErrorCode.INVALID_PARAMETER,
            f"conversation type {conv.type} is not served by this server yet",
            request_id,
        )
    if not conv.target or len(conv.target) > 64 or conv.channel:
        raise ProtocolError(ErrorCode.INVALID_PARAMETER, "invalid private target", request_id)
    return conv.target
