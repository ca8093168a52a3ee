"""The Server API's message paths: private, system and group messages posted as any
user, and recalls, each stored and delivered as if sent from a device.

`isIncludeSender=1` also pushes the message to the sender's own devices (either way it
is in the sender's history, as a message they sent). `verifyBlacklist=1` leaves out the
receivers who do not accept messages from the sender. In a group, `toUserId` makes the
message targeted (only those members and the sender ever see it), and `isMentioned=0`
drops the content's `mentionedInfo` (no one is @-mentioned), as the service does.
Status objects (RC:TypSts and the like) are pushed to whoever is online and not stored.
`pushContent` and `pushData` are kept with each message (server/push_texts.py) for the
offline push to say.
"""

from __future__ import annotations

import json
from typing import Any

from imkit_tui.protocol import SYSTEM_ACCOUNT, ConversationType, ConvRef
from imkit_tui.server.api.context import ApiContext, Handler
from imkit_tui.server.api.errors import bad_parameter
from imkit_tui.server.api.forms import Params, check_id
from imkit_tui.server.handlers.stored_messages import recall_message
from imkit_tui.server.operator import group_route, private_route
from imkit_tui.server.routing import targeted_audience

MAX_RECEIVERS = 1000
"""The most receivers of one private or system publish (as the service)."""
MAX_GROUPS = 3
"""The most groups one group publish names (as the service)."""


def _push_of(p: Params) -> tuple[str, str]:
    """The publish's pushContent and pushData (read before anything is posted)."""
    return p.text("pushContent", "", limit=1024), p.text("pushData", "", limit=4096)


async def _keep_push(ctx: ApiContext, push: tuple[str, str], uids: list[str]) -> None:
    """Keep the push text and payload for the messages posted, when given."""
    if uids and any(push):
        await ctx.operator.store.pushes.keep(uids, *push)


def message_content(p: Params) -> tuple[str, dict[str, Any]]:
    """`objectName` and `content` (a JSON object, as text) of a message to post."""
    object_name = p.text("objectName", limit=32)
    if not object_name:
        raise bad_parameter("objectName is required")
    try:
        content = json.loads(p.one("content"))
    except ValueError:
        raise bad_parameter("content must be a JSON object") from None
    if not isinstance(content, dict):
        raise bad_parameter("content must be a JSON object")
    return object_name, content


def _sender(p: Params) -> str:
    sender = p.ident("fromUserId")
    if sender == SYSTEM_ACCOUNT:
        raise bad_parameter(f"fromUserId: '{SYSTEM_ACCOUNT}' is the server's own account")
    return sender


async def private_publish(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/message/private/publish`: a private message from `fromUserId` to each
    `toUserId`."""
    return await _private(ctx, p, status=False)


async def private_status(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/statusmessage/private/publish`: a status message from `fromUserId` to each
    `toUserId` online now (not stored, not counted)."""
    return await _private(ctx, p, status=True)


async def _private(ctx: ApiContext, p: Params, *, status: bool) -> dict[str, Any]:
    sender = _sender(p)
    receivers = p.idents("toUserId", limit=MAX_RECEIVERS)
    object_name, content = message_content(p)
    push = _push_of(p)
    verify = p.flag("verifyBlacklist")
    to_sender = p.flag("isIncludeSender")
    op = ctx.operator
    uids: list[dict[str, str]] = []
    for receiver in receivers:
        if verify and (await op.store.privacy.rules(receiver)).refuses(sender):
            continue
        route = await private_route(op.store, sender, receiver)
        posted = await op.post(
            route, sender, object_name, content, to_sender=to_sender, status=status
        )
        uids.append({"userId": receiver, "messageUID": posted.uid})
    if status:
        return {}
    await _keep_push(ctx, push, [u["messageUID"] for u in uids])
    return {"messageUIDs": uids}


async def system_publish(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/message/system/publish`: a message into each `toUserId`'s system
    conversation, from `fromUserId`."""
    sender = p.ident("fromUserId")
    receivers = p.idents("toUserId", limit=MAX_RECEIVERS)
    object_name, content = message_content(p)
    push = _push_of(p)
    op = ctx.operator
    uids: list[dict[str, str]] = []
    for receiver in receivers:
        await op.store.ensure_user(receiver, 0)
        posted = await op.post(op.system_route(receiver), sender, object_name, content)
        uids.append({"userId": receiver, "messageUID": posted.uid})
    await _keep_push(ctx, push, [u["messageUID"] for u in uids])
    return {"messageUIDs": uids}


async def group_publish(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/message/group/publish`: a message from `fromUserId` to each `toGroupId`
    (to the members named by `toUserId` only, when given)."""
    return await _group(ctx, p, status=False)


async def group_status(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/statusmessage/group/publish`: a status message from `fromUserId` to the
    members of each `toGroupId` online now (not stored, not counted)."""
    return await _group(ctx, p, status=True)


async def _group(ctx: ApiContext, p: Params, *, status: bool) -> dict[str, Any]:
    sender = _sender(p)
    groups = p.idents("toGroupId", limit=MAX_GROUPS)
    object_name, content = message_content(p)
    push = _push_of(p)
    targets = p.idents("toUserId", required=False, limit=MAX_RECEIVERS)
    if targets and len(groups) != 1:
        raise bad_parameter("toUserId needs exactly one toGroupId")
    if not p.flag("isMentioned"):
        content.pop("mentionedInfo", None)
    to_sender = p.flag("isIncludeSender")
    op = ctx.operator
    routes = []
    for group_id in groups:
        members = await op.store.groups.members(group_id)
        if members is None:
            raise bad_parameter(f"toGroupId {group_id!r} is not a group")
        route = group_route(group_id, members)
        routes.append((group_id, route, targeted_audience(route, sender, targets, 0)))
    uids: list[dict[str, str]] = []
    for group_id, route, audience in routes:
        posted = await op.post(
            route,
            sender,
            object_name,
            content,
            audience=audience,
            to_sender=to_sender,
            status=status,
        )
        uids.append({"groupId": group_id, "messageUID": posted.uid})
    if status:
        return {}
    await _keep_push(ctx, push, [u["messageUID"] for u in uids])
    return {"messageUIDs": uids}


async def recall(ctx: ApiContext, p: Params) -> dict[str, Any]:
    """`/message/recall`: recall a message `fromUserId` sent in a private chat (type
    1), a group (3) or a system conversation (6); its members' devices are told
    (`isAdmin=1`: the notice says an administrator recalled it)."""
    sender = p.ident("fromUserId")
    target = p.ident("targetId")
    uid = p.one("messageUID")
    check_id("messageUID", uid)
    kind = p.integer("conversationType", low=1, high=10)
    op = ctx.operator
    if kind == ConversationType.PRIVATE:
        route = await private_route(op.store, sender, target)
        conv = ConvRef.private(target)
    elif kind == ConversationType.GROUP:
        members = await op.store.groups.members(target)
        if members is None:
            raise bad_parameter(f"targetId {target!r} is not a group")
        route = group_route(target, members)
        conv = ConvRef(type=ConversationType.GROUP, target=target)
    elif kind == ConversationType.SYSTEM:
        route = op.system_route(target)
        conv = ConvRef(type=ConversationType.SYSTEM, target=SYSTEM_ACCOUNT)
    else:
        raise bad_parameter("conversationType must be 1 (private), 3 (group) or 6 (system)")
    if p.flag("isDelete"):
        raise bad_parameter("isDelete=1 (delete without a notice) is not supported; use 0")
    stored, record = await recall_message(
        op.store,
        route,
        sender,
        conv,
        uid,
        op.server.config.recall_seconds,
        by_admin=p.flag("isAdmin"),
    )
    if not stored.duplicate:
        op.deliver(route.only(stored.audience), record)
        await op.store.truncate_wal()
    return {}


ROUTES: dict[str, Handler] = {
    "/message/private/publish.json": private_publish,
    "/message/system/publish.json": system_publish,
    "/message/group/publish.json": group_publish,
    "/message/recall.json": recall,
    "/statusmessage/private/publish.json": private_status,
    "/statusmessage/group/publish.json": group_status,
}
"""The message paths, by path."""
