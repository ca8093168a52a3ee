"""Messages in ultra group channels: sends, edits, recalls, pulls, read positions and
deletion by time, for conversation type 10.

A channel's messages are stored once (read diffusion) in the channel's conversation, and
a send fans out to the members online only: the route is built from the online index,
never from the member list. The send path is the one every conversation takes
(handlers/send.py: authorize, persist, fan out); what is ultra is who may send, who
receives, and the counted row written in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from imkit_tui.protocol import (
    EDIT_OBJECT_NAME,
    ConvRef,
    DeleteBefore,
    EditMessage,
    ErrorCode,
    MarkRead,
    MessageRecord,
    ProtocolError,
    PullPage,
    PullRequest,
    PullSpec,
    SendMessage,
    UltraDeleted,
    checked_content,
    encode_content,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.ids import new_uuid7
from imkit_tui.server.config import ServerConfig
from imkit_tui.server.handlers import send as sending
from imkit_tui.server.handlers.context import ServerContext
from imkit_tui.server.handlers.posting import message_record
from imkit_tui.server.handlers.privacy import screened
from imkit_tui.server.handlers.ultra_groups import answer_and_tell, ops_of, refusals, ultra_state
from imkit_tui.server.routing import Route
from imkit_tui.server.session import Session
from imkit_tui.server.store_interface import Store
from imkit_tui.server.store_records import AfterStoring, NewMessage
from imkit_tui.server.ultra.message_rows import counted_writer, edit_writer
from imkit_tui.server.ultra.operations import UltraOps
from imkit_tui.server.ultra.records import ULTRA_TYPE, Channel, UltraGroup, UltraRefused
from imkit_tui.server.ultra.rules import edit_event_content, edit_refusal


def is_ultra(conv: ConvRef) -> bool:
    """Whether `conv` is an ultra group's channel."""
    return conv.type == ULTRA_TYPE


async def ultra_route(
    ctx: ServerContext, user: str, conv: ConvRef, request_id: int
) -> tuple[UltraGroup, Channel, Route]:
    """The group and channel `user` sends to, and the route to its members online.
    Refused: no such group (24410) or channel (24414), not a member (24406)."""
    with refusals(request_id):
        ops = ops_of(ctx)
        group = await ops.member_group(conv.target, user)
        channel = ops.channel(group, conv.channel)
    seen = ConvRef(type=ULTRA_TYPE, target=group.group_id, channel=channel.channel)
    online = ctx.ultra_online.members_online(group.group_id)
    route = Route(
        conv_type=ULTRA_TYPE,
        conv_key=channel.conv_key,
        members=(),
        deliveries=tuple((member, seen) for member in online),
    )
    return group, channel, route


def _check_voice(group: UltraGroup, user: str, request_id: int) -> None:
    if not group.voices.may_speak(user):
        raise ProtocolError(
            ErrorCode.MUTED_IN_ULTRA_GROUP, "you are muted in this ultra group", request_id
        )


async def on_ultra_send(ctx: ServerContext, session: Session, frame: SendMessage) -> None:
    """Authorize a send to a channel, store it once with its counted row, fan it out to
    the members online (handlers/send.py does the storing and the fan-out)."""
    user = session.user_id
    try:
        send = await _authorized_send(ctx, user, frame)
    except ProtocolError:
        if await _acked_again(ctx, session, frame):
            return
        raise
    await sending.store_send(
        ctx, session, send, lambda stored: counted_writer(user, stored.object_name, stored.content)
    )


async def _authorized_send(ctx: ServerContext, user: str, frame: SendMessage) -> sending.Authorized:
    """`user` may send `frame` to its channel now: a member, not muted there, saying
    nothing the app's words refuse (they may replace some), within the size limit."""
    if frame.to:
        raise ProtocolError(
            ErrorCode.INVALID_PARAMETER, "ultra group messages cannot be targeted", frame.id
        )
    group, _channel, route = await ultra_route(ctx, user, frame.conv, frame.id)
    _check_voice(group, user, frame.id)
    sent = frame.content
    frame.content = await screened(ctx, frame.content, frame.id)
    content_json = checked_content(frame.content, ctx.config.max_content_bytes, frame.id)
    return sending.Authorized(frame, route, None, None, content_json, frame.content is not sent)


async def _acked_again(ctx: ServerContext, session: Session, frame: SendMessage) -> bool:
    """Idempotent send: a retry of a message (or an edit) stored before its sender was
    muted or left, or before a word was banned, gets its original ack again. False when
    `frame` is no such retry."""
    try:
        group = await ops_of(ctx).store.require(frame.conv.target)
        conv_key = UltraOps.channel(group, frame.conv.channel).conv_key
    except UltraRefused:
        return False
    return await sending.ack_stored_retry(ctx, session, frame, conv_key)


async def on_edit(ctx: ServerContext, session: Session, frame: EditMessage) -> None:
    """Edit one of the user's own messages: an edit event with its own seq, stored with
    the original's new content in one transaction; answered by its ack, pushed to the
    members online."""
    if not is_ultra(frame.conv):
        raise ProtocolError(
            ErrorCode.INVALID_PARAMETER, "only ultra group messages can be edited", frame.id
        )
    try:
        send, effect = await _authorized_edit(ctx, session.user_id, frame)
    except ProtocolError:
        event = SendMessage(
            id=frame.id, conv=frame.conv, object_name=EDIT_OBJECT_NAME, content={}, cmid=frame.cmid
        )
        if await _acked_again(ctx, session, event):
            return
        raise
    await sending.store_send(ctx, session, send, effect)


async def _authorized_edit(
    ctx: ServerContext, user: str, frame: EditMessage
) -> tuple[sending.Authorized, Callable[[SendMessage], AfterStoring]]:
    """`user` may edit the message `frame` names as it says: the edit event to store and
    what it writes beside it (the original's new content)."""
    group, channel, route = await ultra_route(ctx, user, frame.conv, frame.id)
    _check_voice(group, user, frame.id)
    found = await ctx.require_store().ultra.message(channel.conv_key, frame.uid)
    refusal = (
        ErrorCode.MESSAGE_NOT_MODIFIABLE
        if found is None
        else edit_refusal(found[1], found[2], user)
    )
    if refusal is not None or found is None:
        raise ProtocolError(
            refusal or ErrorCode.MESSAGE_NOT_MODIFIABLE, "this message cannot be edited", frame.id
        )
    content = await screened(ctx, frame.content, frame.id)  # as a send has them
    content_json = checked_content(content, ctx.config.max_content_bytes, frame.id)
    event = SendMessage(
        id=frame.id,
        conv=frame.conv,
        object_name=EDIT_OBJECT_NAME,
        content=edit_event_content(frame.uid, found[0], content),
        cmid=frame.cmid,
    )
    event_json = checked_content(event.content, ctx.config.max_frame_bytes, frame.id)
    replaced = content is not frame.content
    send = sending.Authorized(event, route, None, None, event_json, replaced, edits=found[2])
    original_id = found[0]

    def effect(stored: SendMessage) -> AfterStoring:
        """The original's new content: as the app's backend left it (it may replace it)."""
        if stored.content["content"] is content:
            return edit_writer(original_id, user, content_json)
        replaced = checked_content(stored.content["content"], ctx.config.max_content_bytes)
        return edit_writer(original_id, user, replaced)

    return send, effect


async def edit_by_app(
    ctx: ServerContext, editor: str, conv: ConvRef, uid: str, content: dict[str, Any]
) -> int:
    """The app's backend edits `editor`'s message `uid` (the Server API's
    /ultragroup/msg/modify): the same edit event as a device's, pushed to the members
    online; its seq. ProtocolError 20116 when `uid` is not `editor`'s content message."""
    group = await ctx.require_store().ultra.group(conv.target)
    if group is None:
        raise ProtocolError(ErrorCode.ULTRA_GROUP_NOT_FOUND, "no such ultra group")
    with refusals(0):
        channel = ops_of(ctx).channel(group, conv.channel)
    found = await ctx.require_store().ultra.message(channel.conv_key, uid)
    if found is None or edit_refusal(found[1], found[2], editor) is not None:
        raise ProtocolError(ErrorCode.MESSAGE_NOT_MODIFIABLE, "this message cannot be edited")
    seen = ConvRef(type=ULTRA_TYPE, target=group.group_id, channel=channel.channel)
    content_json = checked_content(content, ctx.config.max_content_bytes)
    event = edit_event_content(uid, found[0], content)
    cmid = new_uuid7()
    stored = await ctx.require_store().append(
        NewMessage(
            conv_type=ULTRA_TYPE,
            conv_key=channel.conv_key,
            members=(),
            sender=editor,
            cmid=cmid,
            object_name=EDIT_OBJECT_NAME,
            content_json=encode_content(event),
            now_ms=now_ms(),
            then=edit_writer(found[0], editor, content_json),
        )
    )
    online = ctx.ultra_online.members_online(group.group_id)
    route = Route(ULTRA_TYPE, channel.conv_key, (), tuple((m, seen) for m in online))
    record = message_record(
        seen, stored.uid, stored.seq, editor, EDIT_OBJECT_NAME, event, cmid, stored.sent_at
    )
    ctx.fanout.deliver(route, record, skip=None)
    return stored.seq


async def on_ultra_recall_route(
    ctx: ServerContext, session: Session, conv: ConvRef, request_id: int
) -> Route:
    """The route of a recall in a channel: its members online."""
    _group, _channel, route = await ultra_route(ctx, session.user_id, conv, request_id)
    return route


async def on_ultra_read(ctx: ServerContext, session: Session, frame: MarkRead) -> None:
    """Move the user's read position in one channel (forward only); answered by an
    UltraUpdate of that channel, pushed to the user's other devices."""
    user = session.user_id
    with refusals(frame.id):
        ops = ops_of(ctx)
        group = await ops.member_group(frame.conv.target, user)
        channel = ops.channel(group, frame.conv.channel)
        top = await ops.store.max_seq(channel)  # never past the channel's newest
        seq = min(frame.seq, top)
        await ops.store.set_member(group.group_id, user, channel.channel, read_seq=seq)
    state = await ultra_state(ctx, user, group, [frame.conv.channel])
    answer_and_tell(ctx, session, frame.id, state)


async def on_delete_before(ctx: ServerContext, session: Session, frame: DeleteBefore) -> None:
    """Delete what was sent before a time in a channel (or all): for the user alone, or
    for everyone (the owner). Answered by an UltraDeleted, pushed alike."""
    user = session.user_id
    if not is_ultra(frame.conv):
        raise ProtocolError(
            ErrorCode.INVALID_PARAMETER, "delete by time is for ultra groups", frame.id
        )
    channel = None if frame.all_channels else frame.conv.channel
    with refusals(frame.id):
        ops = ops_of(ctx)
        group = await ops.member_group(frame.conv.target, user)
        if channel is not None:
            ops.channel(group, channel)
        if frame.for_everyone:
            done = await ops.delete_before(group.group_id, user, channel, frame.before)
            session.send(msgspec.structs.replace(done, re=frame.id))
            return
        await ops.store.set_member(group.group_id, user, channel, cleared_at=frame.before)
    done = UltraDeleted(group=group.group_id, channel=channel, before=frame.before, by=user)
    session.send(msgspec.structs.replace(done, re=frame.id))
    ctx.fanout.tell(user, done, skip=session)


async def ultra_page(
    store: Store, config: ServerConfig, user: str, spec: PullSpec | PullRequest, request_id: int
) -> PullPage:
    """A page of a channel as `user` may read it: nothing before their first visible
    seq (join, pre-join history, deletions by time, 7 days of cloud history); edited
    messages carry their newest content with `edited_at` and `edit_seq`."""
    ultra = store.ultra
    try:
        group = await ultra.require(spec.conv.target)
        member = await ultra.member(group.group_id, user)
        if member is None:
            raise UltraRefused(ErrorCode.NOT_IN_ULTRA_GROUP, "not in this ultra group")
        channel = group.channels.get(spec.conv.channel)
        if channel is None:
            raise UltraRefused(ErrorCode.ULTRA_CHANNEL_NOT_FOUND, "no such channel")
    except UltraRefused as exc:
        raise ProtocolError(exc.code, exc.message, request_id) from None
    retention_from = now_ms() - config.ultra.history_ms
    view = await ultra.view(group, channel, user, member, retention_from)
    seen = ConvRef(type=ULTRA_TYPE, target=group.group_id, channel=channel.channel)
    if not view.conv_id:
        return PullPage(conv=seen, floor_seq=view.first_seq)
    page = await store.pull(
        view.conv_id,
        seen,
        after_seq=max(spec.after_seq, view.first_seq - 1) if spec.before_seq == 0 else 0,
        before_seq=spec.before_seq,
        limit=spec.limit,
        not_before_ms=retention_from,
        conv_key=channel.conv_key,
    )
    kept = [m for m in page.messages if m.seq >= view.first_seq]
    if kept:
        seqs = [m.seq for m in kept]
        edits = await ultra.edits(view.conv_id, min(seqs), max(seqs))
        if edits:
            kept = [m if m.seq not in edits else _edited(m, *edits[m.seq]) for m in kept]
    return PullPage(
        conv=seen,
        messages=kept,
        has_more=page.has_more and len(kept) == len(page.messages),
        floor_seq=max(page.floor_seq, view.first_seq),
    )


def _edited(message: MessageRecord, edited_at: int, edit_seq: int) -> MessageRecord:
    """`message` with its "edited" mark."""
    return msgspec.structs.replace(message, edited_at=edited_at, edit_seq=edit_seq)
