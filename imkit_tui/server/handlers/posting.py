"""Messages the server itself posts (notices, system messages, the app server's), and
the one place a pushed :class:`MessageRecord` is built from a stored message."""

from __future__ import annotations

from typing import Any

from imkit_tui.protocol import SYSTEM_ACCOUNT, ConvRef, MessageRecord, encode_content
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.server.handlers.context import ServerContext
from imkit_tui.server.routing import Route, system_route
from imkit_tui.server.store_records import NewMessage


def message_record(
    conv: ConvRef,
    uid: str,
    seq: int,
    sender: str,
    object_name: str,
    content: dict[str, Any],
    cmid: str,
    sent_at: int,
    to: list[str] | None = None,
) -> MessageRecord:
    """The record pushed for a message (`conv` and `seq` as the fan-out rewrites them
    for each receiver; `to`: the receivers of a targeted message)."""
    return MessageRecord(
        uid=uid,
        conv=conv,
        seq=seq,
        sender=sender,
        object_name=object_name,
        content=content,
        cmid=cmid,
        sent_at=sent_at,
        to=to or [],
    )


async def post(
    ctx: ServerContext,
    route: Route,
    sender: str,
    object_name: str,
    content: dict[str, Any],
    audience: frozenset[str] | None = None,
    *,
    to_sender: bool = True,
) -> MessageRecord:
    """Store a message the server sends as `sender` along `route` (to `audience` only,
    when given) and push it to every receiving device (with `to_sender` false, none of
    the sender's: it is still in their history, as a message they sent); the record."""
    store = ctx.require_store()
    cmid = new_uuid7()
    conv = ConvRef(type=route.conv_type, target=sender)  # each receiver's own, pushed
    message = NewMessage(
        conv_type=route.conv_type,
        conv_key=route.conv_key,
        members=route.members,
        sender=sender,
        cmid=cmid,
        object_name=object_name,
        content_json=encode_content(content),
        now_ms=now_ms(),
        audience=audience,
    )
    stored = await store.append(ctx.hooks.routed(message, route, conv, from_device=False))
    record = message_record(
        conv,
        stored.uid,
        stored.seq,
        sender,
        object_name,
        content,
        cmid,
        stored.sent_at,
        sorted(audience - {sender}) if audience else None,
    )
    ctx.fanout.deliver(receivers(route, sender, audience, to_sender), record, skip=None)
    return record


def receivers(route: Route, sender: str, audience: frozenset[str] | None, to_sender: bool) -> Route:
    """Who gets the push of a message along `route`: `audience` (None: every member),
    without the `sender`'s devices unless `to_sender`."""
    kept = route.only(audience)
    if to_sender:
        return kept
    return kept.only(frozenset(user for user, _ in kept.deliveries if user != sender))


async def send_system(
    ctx: ServerContext, user_id: str, object_name: str, content: dict[str, Any]
) -> int:
    """Post a message from the system account into `user_id`'s system conversation;
    its seq."""
    record = await post(ctx, system_route(user_id), SYSTEM_ACCOUNT, object_name, content)
    return record.seq
