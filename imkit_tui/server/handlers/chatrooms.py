"""Chatroom frames: join, leave, query, attributes and the public list; and the chatroom
side of sends, recalls and pulls (conversation type 4), which the message handlers hand
over here. The decisions are the chatroom service's (server/chatrooms/); this module
reads frames and answers them.
"""

from __future__ import annotations

import msgspec

from imkit_tui import messages
from imkit_tui.protocol import (
    ErrorCode,
    MessageRecord,
    ProtocolError,
    PullReply,
    PullRequest,
    Recall,
    SendAck,
    SendMessage,
    checked_content,
)
from imkit_tui.protocol.chatroom_frames import (
    ChatroomAttrs,
    ChatroomAttrState,
    ChatroomDirectory,
    ChatroomInfo,
    ChatroomJoin,
    ChatroomJoined,
    ChatroomLeave,
    ChatroomList,
    ChatroomMember,
    ChatroomQuery,
)
from imkit_tui.server.chatrooms.rooms import Room
from imkit_tui.server.handlers.context import ServerContext, charge_send
from imkit_tui.server.routing import Route
from imkit_tui.server.session import Session


async def on_join(ctx: ServerContext, session: Session, frame: ChatroomJoin) -> None:
    """Join a room (made first when missing and asked to), with its latest messages."""
    live = ctx.chatrooms
    seq = 0
    if frame.create and frame.room not in live.service.rooms:
        seq = await live.last_seq(frame.room)
    room, joined = await live.act(
        "join", session.user_id, frame.room, frame.create, frame.name, seq, frame.id
    )
    session.send(
        ChatroomJoined(
            re=frame.id,
            info=room.summary(),
            joined_at=joined,
            messages=room.latest(frame.history),
        )
    )


async def on_leave(ctx: ServerContext, session: Session, frame: ChatroomLeave) -> None:
    """Leave a room; answered with the room as it is after."""
    live = ctx.chatrooms
    room = live.service.get(frame.room, frame.id)
    await live.act("leave", session.user_id, frame.room)
    session.send(_info(ctx, frame.id, room))


async def on_query(ctx: ServerContext, session: Session, frame: ChatroomQuery) -> None:
    """A room's summary, with as many members as asked for, by join time."""
    await ctx.chatrooms.caught_up()
    room = ctx.chatrooms.service.get(frame.room, frame.id)
    members = room.listed(frame.members, frame.order == "desc")
    session.send(_info(ctx, frame.id, room, members))


def _info(
    ctx: ServerContext, request_id: int, room: Room, members: list[ChatroomMember] | None = None
) -> ChatroomInfo:
    live = ctx.chatrooms
    muted = live.service.room_mutes.active(room.id, live.clock())
    return ChatroomInfo(re=request_id, info=room.summary(), members=members or [], all_muted=muted)


async def on_attrs(ctx: ServerContext, session: Session, frame: ChatroomAttrs) -> None:
    """Set, remove or list a room's attributes."""
    live = ctx.chatrooms
    await live.caught_up()
    room = live.service.get(frame.room, frame.id)
    user = session.user_id
    if frame.op == "list":
        attrs = room.attributes.listed(frame.keys)
    else:
        if user not in room.members:
            raise ProtocolError(ErrorCode.NOT_IN_CHATROOM, "you are not in this chatroom", frame.id)
        if frame.op == "set":
            entries = [msgspec.to_builtins(entry) for entry in frame.set]
            attrs = await live.act("attrs_set", user, room.id, entries, frame.id)
        else:
            await live.act("attrs_remove", user, room.id, frame.keys, frame.force, frame.id)
            attrs = []
    session.send(ChatroomAttrState(re=frame.id, room=room.id, attrs=attrs))


async def on_list(ctx: ServerContext, session: Session, frame: ChatroomList) -> None:
    """The public rooms the server offers."""
    await ctx.chatrooms.caught_up()
    rooms = [room.summary() for room in ctx.chatrooms.service.public()]
    session.send(ChatroomDirectory(re=frame.id, rooms=rooms))


# ---------------------------------------------------------------- type 4 messages


def _room_of(
    ctx: ServerContext, session: Session, target: str, channel: str, request_id: int
) -> Room:
    """The room a type-4 conversation names, which the user must be in."""
    if channel:
        raise ProtocolError(ErrorCode.INVALID_PARAMETER, "chatrooms have no channels", request_id)
    room = ctx.chatrooms.service.get(target, request_id)
    if session.user_id not in room.members:
        raise ProtocolError(ErrorCode.NOT_IN_CHATROOM, "you are not in this chatroom", request_id)
    return room


async def chatroom_send(ctx: ServerContext, session: Session, frame: SendMessage) -> None:
    """A message into a room: to the members online only, or refused (23406, 23408,
    23410), or dropped under load (90020) — never acked unless delivered."""
    live = ctx.chatrooms
    user = session.user_id
    if frame.to:
        raise ProtocolError(
            ErrorCode.INVALID_PARAMETER, "only group messages can be targeted", frame.id
        )
    if live.log is not None:  # several nodes: checked and decided in the log's order
        await _send_logged(ctx, session, frame)
        return
    room = _room_of(ctx, session, frame.conv.target, frame.conv.channel, frame.id)
    original = room.sent_before(user, frame.cmid)
    if original is not None:  # a retry: acked again, delivered once
        _ack(session, frame.id, original)
        return
    checked_content(frame.content, ctx.config.max_content_bytes, frame.id)
    charge_send(ctx, user, frame.id)
    live.service.admit(user, room.id, frame.object_name, live.clock(), frame.id)
    replaced = await _moderate(ctx, user, frame, room.route())
    if live.service.rooms.get(room.id) is not room:
        raise ProtocolError(ErrorCode.CHATROOM_NOT_FOUND, "the chatroom was destroyed", frame.id)
    stored = messages.lookup(frame.object_name).stored
    record = live.record(room, user, frame.object_name, frame.content, frame.cmid, stored=stored)
    live.publish(room, record, session)
    _ack(session, frame.id, record, replaced)


async def _send_logged(ctx: ServerContext, session: Session, frame: SendMessage) -> None:
    """A message into a room through the chatroom log: the act checks membership, mutes
    and the budget on a copy caught up with every node (acts.py)."""
    if frame.conv.channel:
        raise ProtocolError(ErrorCode.INVALID_PARAMETER, "chatrooms have no channels", frame.id)
    live = ctx.chatrooms
    user = session.user_id
    room = live.service.rooms.get(frame.conv.target)
    original = room.sent_before(user, frame.cmid) if room is not None else None
    if original is not None:  # a retry: acked again, delivered once
        _ack(session, frame.id, original)
        return
    checked_content(frame.content, ctx.config.max_content_bytes, frame.id)
    charge_send(ctx, user, frame.id)
    replaced = False
    if room is not None:  # none: the act refuses it (23410)
        replaced = await _moderate(ctx, user, frame, room.route())
    args = (user, frame.conv.target, frame.object_name, frame.content, frame.cmid, frame.id)
    _ack(session, frame.id, await live.act("send", *args, skip=session), replaced)


async def _moderate(ctx: ServerContext, user: str, frame: SendMessage, route: Route) -> bool:
    """The app's backend's verdict on a message into a room (hooks/moderation.py), asked
    once every other check passed; a content it replaced is checked again. Whether it
    replaced it."""
    sent = frame.content
    await ctx.hooks.moderate(user, frame, route)
    if frame.content is sent:
        return False
    checked_content(frame.content, ctx.config.max_content_bytes, frame.id)
    return True


def _ack(session: Session, request_id: int, record: MessageRecord, replaced: bool = False) -> None:
    """Ack a message into a room with its record (and its content, when `replaced`:
    the sender's copy becomes it)."""
    session.send(
        SendAck(
            re=request_id,
            cmid=record.cmid,
            uid=record.uid,
            seq=record.seq,
            sent_at=record.sent_at,
            conv=record.conv,
            content=record.content if replaced else None,
        )
    )


async def chatroom_recall(ctx: ServerContext, session: Session, frame: Recall) -> None:
    """Recall one's own message in a room: the RC:RcCmd reaches the members online, and
    the kept history forgets the original."""
    live = ctx.chatrooms
    user = session.user_id
    room = _room_of(ctx, session, frame.conv.target, frame.conv.channel, frame.id)
    original = room.find(frame.uid)
    if original is None and live.settings.history:
        original = await ctx.require_store().chatrooms.find(room.id, frame.uid, 0)
    if original is None or original.sender != user:
        raise ProtocolError(
            ErrorCode.INVALID_PARAMETER, "you can recall only your own messages", frame.id
        )
    content = {
        "messageUId": frame.uid,
        "conversationType": int(frame.conv.type),
        "targetId": room.id,
        "sentTime": original.sent_at,
    }
    record = await live.act("recall", user, room.id, content, original.seq, frame.id, skip=session)
    _ack(session, frame.id, record)


async def chatroom_pull(ctx: ServerContext, session: Session, frame: PullRequest) -> None:
    """A page of a room's cloud history: 23414 when the server keeps none; only what was
    sent while the puller was a member, unless configured to give all."""
    live = ctx.chatrooms
    if not live.settings.history:
        raise ProtocolError(
            ErrorCode.CHATROOM_HISTORY_OFF, "this server keeps no chatroom history", frame.id
        )
    room = _room_of(ctx, session, frame.conv.target, frame.conv.channel, frame.id)
    periods = None if live.settings.history_all else live.service.periods(room.id, session.user_id)
    page = await ctx.require_store().chatrooms.page(
        room.id,
        after_seq=frame.after_seq,
        before_seq=frame.before_seq,
        limit=frame.limit + 1,
        periods=periods,
    )
    session.send(
        PullReply(
            re=frame.id,
            conv=frame.conv,
            messages=page[: frame.limit],
            has_more=len(page) > frame.limit,
            floor_seq=1,
        )
    )
