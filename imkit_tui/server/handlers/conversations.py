"""Conversation-state frames: read positions and per-user settings.

A read position or a setting changes one member's view of a conversation. The answer
goes to the device that asked; the same state is pushed to the user's other devices, and
a new read position in a private chat is pushed to the peer, whose client shows it as a
read receipt. Devices that are offline learn it from their next sync: the change moved
the member's change id.
"""

from __future__ import annotations

from collections.abc import Iterable

from imkit_tui.protocol import (
    ConversationUpdate,
    ErrorCode,
    MarkRead,
    ProtocolError,
    UpdateConversation,
)
from imkit_tui.server.handlers.context import ServerContext
from imkit_tui.server.handlers.ultra_messages import is_ultra, on_ultra_read
from imkit_tui.server.routing import readable_key, route_send
from imkit_tui.server.session import Session


async def on_mark_read(ctx: ServerContext, session: Session, frame: MarkRead) -> None:
    """Move the user's read position (pushed to the peer of a private chat too); in an
    ultra group's channel, handlers/ultra_messages.py does."""
    if is_ultra(frame.conv):
        await on_ultra_read(ctx, session, frame)
        return
    store = ctx.require_store()
    key = await readable_key(store, session.user_id, frame.conv, frame.id)
    conv_id = await store.conversation_id(key, session.user_id)
    if conv_id is None:
        raise ProtocolError(ErrorCode.INVALID_PARAMETER, "nothing to read here", frame.id)
    seq = store.audiences.seq_view(key, session.user_id).to_conversation(frame.seq)
    changed = await store.members.mark_read(session.user_id, conv_id, seq)
    await _answer_and_push(ctx, session, frame.id, conv_id, changed)


async def on_update_conversation(
    ctx: ServerContext, session: Session, frame: UpdateConversation
) -> None:
    """Change the user's settings of a conversation (muted, pinned, marked unread)."""
    store = ctx.require_store()
    key = await readable_key(store, session.user_id, frame.conv, frame.id)
    conv_id = await store.conversation_id(key, session.user_id)
    if conv_id is None:
        # A chat without messages yet (pinning a new chat): create it as a send would.
        route = await route_send(store, session.user_id, frame.conv, frame.id)
        conv_id = await store.ensure_conversation(route.conv_type, key, route.members)
    changed = await store.members.update_settings(
        session.user_id,
        conv_id,
        muted=frame.muted,
        pinned=frame.pinned,
        marked_unread=frame.marked_unread,
    )
    await _answer_and_push(ctx, session, frame.id, conv_id, [session.user_id] if changed else [])


async def _answer_and_push(
    ctx: ServerContext,
    session: Session,
    request_id: int,
    conv_id: int,
    changed: Iterable[str],
) -> None:
    """Answer the asking device; push the new state to every other device concerned."""
    store = ctx.require_store()
    mine = await store.members.conversation_state(session.user_id, conv_id)
    if mine is None:
        raise ProtocolError(ErrorCode.INVALID_PARAMETER, "not a member", request_id)
    session.send(ConversationUpdate(re=request_id, state=mine))
    for user_id in changed:
        state = mine if user_id == session.user_id else None
        if state is None:
            state = await store.members.conversation_state(user_id, conv_id)
        if state is None:
            continue
        ctx.fanout.tell(user_id, ConversationUpdate(state=state), skip=session)
