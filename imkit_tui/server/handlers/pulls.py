"""Sync and pulls: the conversations changed since a cursor (SyncRequest), a page of one
conversation (PullRequest), or of many at once (PullMany).

Both read a page the same way: the conversation must be one the user may read, and
retention bounds what comes back (offline storage forward, cloud history backward). In
a PullMany each item stands alone: an item the user may not read gets its error code
in its page, and the other pages still come.
"""

from __future__ import annotations

from imkit_tui.protocol import (
    MAX_PULLED,
    ConversationType,
    ConvRef,
    ErrorCode,
    ProtocolError,
    PullMany,
    PullPage,
    PullPages,
    PullReply,
    PullRequest,
    PullSpec,
    SyncReply,
    SyncRequest,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.server.config import ServerConfig
from imkit_tui.server.handlers.chatrooms import chatroom_pull
from imkit_tui.server.handlers.context import ServerContext
from imkit_tui.server.handlers.ultra_messages import is_ultra, ultra_page
from imkit_tui.server.routing import readable_key
from imkit_tui.server.session import Session
from imkit_tui.server.store_interface import Store


async def read_page(
    store: Store,
    config: ServerConfig,
    user_id: str,
    spec: PullSpec | PullRequest,
    request_id: int,
) -> PullPage:
    """The page `spec` asks for, as `user_id` may read it; ProtocolError when they may
    not read that conversation. An ultra group's channel is read its own way."""
    if is_ultra(spec.conv):
        return await ultra_page(store, config, user_id, spec, request_id)
    conv_key = await readable_key(store, user_id, spec.conv, request_id)
    conv_id = await store.conversation_id(conv_key, user_id)
    if conv_id is None:
        return PullPage(conv=spec.conv, messages=[], has_more=False, floor_seq=1)
    forward = spec.before_seq == 0
    retention = config.offline_ms if forward else config.history_ms
    page = await store.pull(
        conv_id,
        ConvRef(type=spec.conv.type, target=spec.conv.target),
        after_seq=spec.after_seq,
        before_seq=spec.before_seq,
        limit=spec.limit,
        not_before_ms=now_ms() - retention,
        reader=user_id,
        conv_key=conv_key,
    )
    return PullPage(
        conv=spec.conv, messages=page.messages, has_more=page.has_more, floor_seq=page.floor_seq
    )


async def pull_reply(
    store: Store, config: ServerConfig, user_id: str, frame: PullRequest
) -> PullReply:
    """The answer to a PullRequest."""
    page = await read_page(store, config, user_id, frame, frame.id)
    return PullReply(
        re=frame.id,
        conv=page.conv,
        messages=page.messages,
        has_more=page.has_more,
        floor_seq=page.floor_seq,
    )


async def pull_pages(
    store: Store, config: ServerConfig, user_id: str, frame: PullMany
) -> PullPages:
    """The answer to a PullMany: a page per item, in order; an item refused carries its
    error code. Asking for more than MAX_PULLED messages in all is refused whole."""
    if sum(spec.limit for spec in frame.pulls) > MAX_PULLED:
        raise ProtocolError(
            ErrorCode.INVALID_PARAMETER, f"at most {MAX_PULLED} messages a request", frame.id
        )
    pages: list[PullPage] = []
    for spec in frame.pulls:
        try:
            pages.append(await read_page(store, config, user_id, spec, frame.id))
        except ProtocolError as exc:
            pages.append(PullPage(conv=spec.conv, code=exc.code))
    return PullPages(re=frame.id, pages=pages)


SYNC_PAGE = 500
"""The most conversations one SyncReply holds."""


async def on_sync(ctx: ServerContext, session: Session, frame: SyncRequest) -> None:
    """The user's conversations that changed since the client's cursor."""
    store = ctx.require_store()
    states, cursor, has_more = await store.members.changed_conversations(
        session.user_id, frame.since, SYNC_PAGE
    )
    session.send(SyncReply(re=frame.id, cursor=cursor, conversations=states, has_more=has_more))


async def on_pull(ctx: ServerContext, session: Session, frame: PullRequest) -> None:
    """A page of one conversation (of a chatroom's history: handlers/chatrooms.py)."""
    if frame.conv.type == ConversationType.CHATROOM:
        await chatroom_pull(ctx, session, frame)
        return
    session.send(await pull_reply(ctx.require_store(), ctx.config, session.user_id, frame))


async def on_pull_many(ctx: ServerContext, session: Session, frame: PullMany) -> None:
    """A page of each of many conversations."""
    session.send(await pull_pages(ctx.require_store(), ctx.config, session.user_id, frame))
