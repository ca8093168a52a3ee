"""Frames on stored messages: recall, delete for me, clear history.

A recall is an event with its own seq (RC:RcCmd) that points at the original: the
original's stored content is replaced by a recall notice in the same transaction, so
the server keeps nothing of it, and every member's devices receive the command like any
message (pushed, or in their next sync). Deleting and clearing change one member's view
only: the member's other devices get a ConversationUpdate, and that member's later pulls
return tombstones for deleted messages and nothing below the cleared mark.
"""

from __future__ import annotations

from typing import Any

from imkit_tui import messages
from imkit_tui.protocol import (
    ClearHistory,
    ConversationType,
    ConversationUpdate,
    ConvRef,
    DeleteMessages,
    ErrorCode,
    MessageRecord,
    ProtocolError,
    Recall,
    SendAck,
    encode_content,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.handlers.chatrooms import chatroom_recall
from imkit_tui.server.handlers.context import ServerContext
from imkit_tui.server.handlers.posting import message_record
from imkit_tui.server.handlers.ultra_messages import is_ultra, on_ultra_recall_route
from imkit_tui.server.routing import Route, readable_key, route_send
from imkit_tui.server.seq_views import SeqView
from imkit_tui.server.session import Session
from imkit_tui.server.store_interface import Store
from imkit_tui.server.store_records import StoredMessage


async def on_recall(ctx: ServerContext, session: Session, frame: Recall) -> None:
    """Recall the sender's own message: authorize (the conversation is theirs), persist
    the command (the original's content replaced in the same transaction), fan out.
    A chatroom's message is recalled by the chatrooms (handlers/chatrooms.py)."""
    if frame.conv.type == ConversationType.CHATROOM:
        await chatroom_recall(ctx, session, frame)
        return
    store = ctx.require_store()
    sender = session.user_id
    if is_ultra(frame.conv):
        route = await on_ultra_recall_route(ctx, session, frame.conv, frame.id)
    else:
        route = await route_send(store, sender, frame.conv, frame.id)
    stored, record = await recall_message(
        store, route, sender, frame.conv, frame.uid, ctx.config.recall_seconds, frame.id
    )
    if not stored.duplicate:
        ctx.fanout.deliver(route.only(stored.audience), record, skip=session)
        # The original text is overwritten (and zeroed: secure_delete); emptying the
        # WAL drops the last copy of its page before the sender hears it is done.
        await store.truncate_wal()
    session.send(
        SendAck(
            re=frame.id,
            cmid=record.cmid,
            uid=stored.uid,
            seq=store.audiences.seq_view(route.conv_key, sender).to_member(stored.seq),
            sent_at=stored.sent_at,
            conv=frame.conv,
        )
    )


async def on_delete(ctx: ServerContext, session: Session, frame: DeleteMessages) -> None:
    """Delete messages from the user's own view (tombstones in their later pulls)."""
    store = ctx.require_store()
    conv_id, view = await _member_conv(store, session, frame.conv, frame.id)
    seqs = [view.to_conversation(seq) for seq in frame.seqs]
    changed = await store.members.delete_for(session.user_id, conv_id, seqs)
    await _answer_member(ctx, session, frame.id, conv_id, changed)


async def on_clear(ctx: ServerContext, session: Session, frame: ClearHistory) -> None:
    """Clear the user's own view of a conversation up to a seq."""
    store = ctx.require_store()
    conv_id, view = await _member_conv(store, session, frame.conv, frame.id)
    changed = await store.members.clear_for(
        session.user_id, conv_id, view.to_conversation(frame.seq)
    )
    await _answer_member(ctx, session, frame.id, conv_id, changed)


async def _member_conv(
    store: Store, session: Session, conv: ConvRef, request_id: int
) -> tuple[int, SeqView]:
    """The conversation's id, and how the member numbers it."""
    key = await readable_key(store, session.user_id, conv, request_id)
    conv_id = await store.conversation_id(key, session.user_id)
    if conv_id is None:
        raise ProtocolError(ErrorCode.INVALID_PARAMETER, "no such conversation", request_id)
    return conv_id, store.audiences.seq_view(key, session.user_id)


async def _answer_member(
    ctx: ServerContext, session: Session, request_id: int, conv_id: int, changed: bool
) -> None:
    """Answer with the member's state; push it to their other devices if it changed."""
    state = await ctx.require_store().members.conversation_state(session.user_id, conv_id)
    if state is None:
        raise ProtocolError(ErrorCode.INVALID_PARAMETER, "not a member", request_id)
    session.send(ConversationUpdate(re=request_id, state=state))
    if changed:
        ctx.fanout.tell(session.user_id, ConversationUpdate(state=state), skip=session)


async def recall_message(
    store: Store,
    route: Route,
    sender: str,
    conv: ConvRef,
    uid: str,
    recall_seconds: int,
    request_id: int = 0,
    *,
    by_admin: bool = False,
) -> tuple[StoredMessage, MessageRecord]:
    """Recall `sender`'s message `uid` in `conv` (along `route`): the stored command,
    and the record to push to the members (not pushed yet; a retry's command is stored
    once, `duplicate`). Refused (ProtocolError 33003) when the message is not the
    sender's, or older than `recall_seconds` (0: no limit). `by_admin`: the app's
    backend recalls it as the app's administrator (the Server API's `isAdmin`): the
    notice says so."""
    when = now_ms()

    def contents(original: str, sent_at: int) -> tuple[str, str]:
        notice: dict[str, Any] = {
            "operatorId": sender,
            "recallTime": when,
            "originalObjectName": original,
        }
        if by_admin:
            notice["isAdmin"] = 1
        command: dict[str, Any] = {
            "messageUId": uid,
            "conversationType": int(conv.type),
            "targetId": conv.target,
            "sentTime": sent_at,
        }
        return encode_content(notice), encode_content(command)

    try:
        stored = await store.recall(
            conv_type=route.conv_type,
            conv_key=route.conv_key,
            members=route.members,
            sender=sender,
            uid=uid,
            notice_json=contents,
            now_ms=when,
            max_age_ms=recall_seconds * 1000,
        )
    except LookupError:
        raise ProtocolError(
            ErrorCode.INVALID_PARAMETER, "you can recall only your own messages", request_id
        ) from None
    except TimeoutError:
        raise ProtocolError(
            ErrorCode.INVALID_PARAMETER, "this message is too old to recall", request_id
        ) from None
    record = message_record(
        conv,
        stored.uid,
        stored.seq,
        sender,
        messages.RECALL,
        {"messageUId": uid, "conversationType": int(conv.type), "targetId": conv.target}
        | ({"isAdmin": 1} if by_admin else {}),
        f"recall:{uid}",
        stored.sent_at,
    )
    return stored, record
