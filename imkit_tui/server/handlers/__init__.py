"""The server's frame handlers: one module per concern, each handler an async function
`(context, session, frame)`, registered by frame type in :data:`HANDLERS`.

Every handler goes the same way: authorize (may this user do this?), persist (the
store), fan out (server/fanout.py) and answer. It sees the server only through
:class:`~imkit_tui.server.handlers.context.ServerContext`.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from imkit_tui.protocol import (
    ChatroomAttrs,
    ChatroomJoin,
    ChatroomLeave,
    ChatroomList,
    ChatroomQuery,
    ClearHistory,
    ConversationType,
    CsAgentRequest,
    DeleteBefore,
    DeleteMessages,
    DownloadRequest,
    EditMessage,
    ErrorCode,
    Frame,
    GroupRequest,
    Hello,
    MarkRead,
    Ping,
    Pong,
    ProtocolError,
    PullMany,
    PullRequest,
    ReadReceipt,
    Recall,
    ReceiptQuery,
    SendMessage,
    SetPushUrl,
    SyncRequest,
    UltraRequest,
    UltraSettings,
    UltraSync,
    UpdateConversation,
    UpdatePrivacy,
    UploadChunk,
    UploadStart,
)
from imkit_tui.protocol.clock import now_ms
from imkit_tui.protocol.profile_frames import ProfileQuery, UpdateProfile
from imkit_tui.protocol.public_frames import PublicFollow, PublicQuery, PublicSearch
from imkit_tui.server.handlers import (
    chatrooms,
    conversations,
    customer_service,
    files,
    groups,
    privacy,
    profiles,
    public_service,
    pulls,
    push_url,
    receipts,
    send,
    stored_messages,
    ultra_groups,
    ultra_messages,
)
from imkit_tui.server.handlers.context import ServerContext
from imkit_tui.server.session import Session

Handler = Callable[[ServerContext, Session, Any], Coroutine[Any, Any, None]]
"""Answers one frame type: (context, session, frame of that type)."""


@dataclass(frozen=True, slots=True)
class Handling:
    """How a frame type is handled: by `handle`, in line with the connection's reading
    (`in_line`: the next frame waits for it) or beside it, as a task of its own."""

    handle: Handler
    in_line: bool = False


async def on_ping(ctx: ServerContext, session: Session, frame: Ping) -> None:
    """Answer a heartbeat with the server's time."""
    session.send(Pong(re=frame.id, server_time=now_ms()))


async def on_send(ctx: ServerContext, session: Session, frame: SendMessage) -> None:
    """A send: to an ultra group's channel (handlers/ultra_messages.py), to customer
    service (handlers/customer_service.py) or to any other conversation (handlers/send.py)."""
    if ultra_messages.is_ultra(frame.conv):
        await ultra_messages.on_ultra_send(ctx, session, frame)
    elif frame.conv.type == ConversationType.CUSTOMER_SERVICE:
        await customer_service.on_send(ctx, session, frame)
    else:
        await send.on_send(ctx, session, frame)


async def on_hello(ctx: ServerContext, session: Session, frame: Hello) -> None:
    """A second Hello on a logged-in connection is refused."""
    raise ProtocolError(ErrorCode.ALREADY_AUTHENTICATED, "already logged in", frame.id)


HANDLERS: Mapping[type[Frame], Handling] = {
    # In line: a commit takes microseconds, and a device's sends keep their order.
    SendMessage: Handling(on_send, in_line=True),
    Ping: Handling(on_ping, in_line=True),
    Hello: Handling(on_hello, in_line=True),
    SyncRequest: Handling(pulls.on_sync),
    PullRequest: Handling(pulls.on_pull),
    PullMany: Handling(pulls.on_pull_many),
    MarkRead: Handling(conversations.on_mark_read),
    UpdateConversation: Handling(conversations.on_update_conversation),
    GroupRequest: Handling(groups.on_group),
    ReadReceipt: Handling(receipts.on_read_receipt),
    ReceiptQuery: Handling(receipts.on_receipt_query),
    Recall: Handling(stored_messages.on_recall),
    DeleteMessages: Handling(stored_messages.on_delete),
    ClearHistory: Handling(stored_messages.on_clear),
    UpdatePrivacy: Handling(privacy.on_update_privacy),
    UploadStart: Handling(files.on_upload_start),
    UploadChunk: Handling(files.on_upload_chunk),
    DownloadRequest: Handling(files.on_download),
    ProfileQuery: Handling(profiles.on_profile_query),
    UpdateProfile: Handling(profiles.on_update_profile),
    # In line: a device's joins and leaves keep their order with its sends.
    ChatroomJoin: Handling(chatrooms.on_join, in_line=True),
    ChatroomLeave: Handling(chatrooms.on_leave, in_line=True),
    ChatroomQuery: Handling(chatrooms.on_query),
    ChatroomAttrs: Handling(chatrooms.on_attrs),
    ChatroomList: Handling(chatrooms.on_list),
    PublicSearch: Handling(public_service.on_search),
    PublicQuery: Handling(public_service.on_query),
    # In line: a follow comes before the commands the device sends next.
    PublicFollow: Handling(public_service.on_follow, in_line=True),
    SetPushUrl: Handling(push_url.on_set_push_url),
    UltraRequest: Handling(ultra_groups.on_ultra),
    UltraSettings: Handling(ultra_groups.on_ultra_settings),
    UltraSync: Handling(ultra_groups.on_ultra_sync),
    EditMessage: Handling(ultra_messages.on_edit),
    DeleteBefore: Handling(ultra_messages.on_delete_before),
    CsAgentRequest: Handling(customer_service.on_agent),
}
"""Every client frame after the Hello, by type (tests/test_authorization.py checks each
one's refusals)."""
