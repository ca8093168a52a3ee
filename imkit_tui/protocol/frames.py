"""Typed frames: every message that crosses the websocket, in both directions.

Each frame is a JSON object whose `t` field names its type. `id` numbers a request;
the frame that answers it carries the same number in `re`. Pushes carry neither.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from imkit_tui.protocol import public_frames as pub
from imkit_tui.protocol.chatroom_frames import (
    CHATROOM_CLIENT_FRAMES,
    CHATROOM_SERVER_FRAMES,
    ChatroomAttrs,
    ChatroomAttrState,
    ChatroomDirectory,
    ChatroomEvent,
    ChatroomInfo,
    ChatroomJoin,
    ChatroomJoined,
    ChatroomLeave,
    ChatroomList,
    ChatroomQuery,
)
from imkit_tui.protocol.conversation import ConvRef
from imkit_tui.protocol.cs_frames import (
    CS_CLIENT_FRAMES,
    CS_SERVER_FRAMES,
    CsAgentRequest,
    CsAgentState,
)
from imkit_tui.protocol.frame_base import MAX_INT as MAX_INT
from imkit_tui.protocol.frame_base import MAX_TARGETED as MAX_TARGETED
from imkit_tui.protocol.frame_base import (
    ChunkSize,
    ClientMessageId,
    FileName,
    MimeType,
    NonNegative,
    ObjectName,
    PageSize,
    Sha256,
    UserId,
)
from imkit_tui.protocol.frame_base import ConversationState as ConversationState
from imkit_tui.protocol.frame_base import Frame as Frame
from imkit_tui.protocol.frame_base import MessageRecord as MessageRecord
from imkit_tui.protocol.profile_frames import ProfileList, ProfileQuery, UpdateProfile
from imkit_tui.protocol.ultra_frames import (
    DeleteBefore,
    EditMessage,
    UltraDeleted,
    UltraInfo,
    UltraRequest,
    UltraSettings,
    UltraSync,
    UltraSynced,
    UltraUpdate,
)

# ---------------------------------------------------------------- shared payloads


# ---------------------------------------------------------------- client → server


class Hello(Frame, tag="hello"):
    """First frame of a connection: protocol versions offered and the login token."""

    versions: list[int]
    token: str
    device: str = ""
    client: str = ""


class Ping(Frame, tag="ping"):
    """Application heartbeat; answered by a Pong."""


class SendMessage(Frame, tag="send"):
    """Send a message. `cmid` is the client's id for it, the same on every retry.

    `to` makes it a targeted message in a group: only those members (and the sender)
    receive it; the others never see it, its seq or a gap in theirs.
    """

    conv: ConvRef
    object_name: ObjectName
    content: dict[str, Any]
    cmid: ClientMessageId
    to: Annotated[list[UserId], msgspec.Meta(max_length=MAX_TARGETED)] = []


class SyncRequest(Frame, tag="sync"):
    """Which conversations changed since the change cursor `since`."""

    since: NonNegative = 0


class PullRequest(Frame, tag="pull"):
    """Fetch messages of one conversation by seq range.

    Forward (`after_seq` set, `before_seq` 0): messages with seq > after_seq, oldest first;
    this is how offline messages are synced. Backward (`before_seq` > 0): messages with
    seq < before_seq, newest first; this is cloud history.
    """

    conv: ConvRef
    after_seq: NonNegative = 0
    before_seq: NonNegative = 0
    limit: PageSize = 100


MAX_PULLS = 100
"""The most conversations one PullMany asks for."""
MAX_PULLED = 5_000
"""The most messages one PullMany may ask for (the sum of its limits)."""


class PullSpec(msgspec.Struct, omit_defaults=True, kw_only=True):
    """One conversation's part of a PullMany: the fields of a PullRequest."""

    conv: ConvRef
    after_seq: NonNegative = 0
    before_seq: NonNegative = 0
    limit: PageSize = 100


class PullMany(Frame, tag="pulls"):
    """Pull a page of each of many conversations in one round trip (protocol version 2).

    Each item reads as a PullRequest would; the answer is one PullPages with a page per
    item, in order. A new device's first sync asks for its conversations' latest pages
    this way instead of one request per conversation. At most MAX_PULLS items and
    MAX_PULLED messages (the sum of the limits); a server that negotiated version 1 may
    not know it, so a client sends it only to a version 2 server.
    """

    pulls: Annotated[list[PullSpec], msgspec.Meta(min_length=1, max_length=MAX_PULLS)]


class MarkRead(Frame, tag="read"):
    """Everything up to `seq` in `conv` is read. Read positions only move forward;
    answered by a ConversationUpdate, which also reaches the user's other devices and,
    in a private chat, the peer (as a read receipt)."""

    conv: ConvRef
    seq: NonNegative


class UpdateConversation(Frame, tag="settings"):
    """Change the user's settings of a conversation; fields left out stay as they are.
    Answered by a ConversationUpdate, which also reaches the user's other devices."""

    conv: ConvRef
    muted: bool | None = None
    pinned: bool | None = None
    marked_unread: bool | None = None


class Recall(Frame, tag="recall"):
    """Recall one of the user's own messages (by server id). Answered by a SendAck for
    the recall notice (RC:RcCmd, with its own seq), which every member receives."""

    conv: ConvRef
    uid: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class DeleteMessages(Frame, tag="delete"):
    """Delete messages for this user only, on the server too (by seq). Answered by a
    ConversationUpdate; the user's other devices get the same as a push."""

    conv: ConvRef
    seqs: Annotated[
        list[Annotated[int, msgspec.Meta(ge=1, le=MAX_INT)]], msgspec.Meta(max_length=500)
    ]


class ClearHistory(Frame, tag="clear"):
    """Clear a conversation's history for this user, on the server too: everything up to
    `seq`. Answered by a ConversationUpdate (its `cleared_seq`), pushed to other devices."""

    conv: ConvRef
    seq: NonNegative


class UpdatePrivacy(Frame, tag="privacy"):
    """Change who may message the user: block or unblock users, add or remove them from
    the whitelist, switch whitelist mode. Answered by a PrivacyState, also pushed to the
    user's other devices. An empty frame just asks for the current state."""

    block: Annotated[list[UserId], msgspec.Meta(max_length=500)] = []
    unblock: Annotated[list[UserId], msgspec.Meta(max_length=500)] = []
    allow: Annotated[list[UserId], msgspec.Meta(max_length=500)] = []
    disallow: Annotated[list[UserId], msgspec.Meta(max_length=500)] = []
    whitelist_mode: bool | None = None


GroupId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
GroupOperation = Literal[
    "create",
    "invite",
    "kick",
    "quit",
    "dismiss",
    "rename",
    "info",
    "mute",
    "unmute",
    "mute_all",
    "unmute_all",
    "allow_speak",
    "disallow_speak",
    "sync",
    "accept",
]


class GroupRequest(Frame, tag="group"):
    """Manage a group: create it (the caller owns it), invite members (any member),
    kick members, rename or dismiss it (the owner), quit it, or read it (`info`); the
    owner also mutes members, mutes all, and names who may still speak (`allow_speak`).
    Someone who does not accept messages from the inviter (blocked, or not on their
    whitelist) is invited instead of added, and joins with `accept`.
    Answered by a GroupInfo; membership changes also leave a notice in the chat."""

    group: GroupId
    op: GroupOperation
    members: Annotated[list[UserId], msgspec.Meta(max_length=500)] = []
    name: Annotated[str, msgspec.Meta(max_length=64)] = ""


MessageUid = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
ReceiptUids = Annotated[list[MessageUid], msgspec.Meta(max_length=500)]


class ReadReceipt(Frame, tag="receipt"):
    """This user has read these group messages, whose senders asked for read receipts
    (with an RC:RRReqMsg). Answered by an empty ReceiptState; each sender whose count
    changed gets a ReceiptState push."""

    conv: ConvRef
    uids: ReceiptUids


class ReceiptQuery(Frame, tag="receipts"):
    """Who has read these own group messages (those receipts were asked for): answered
    by a ReceiptState."""

    conv: ConvRef
    uids: ReceiptUids


class UploadStart(Frame, tag="upload"):
    """Announce a file by its sha256 and size; answered by an UploadState.

    The state says how many bytes the server already holds (a resumed upload starts
    there) or that the file is complete already (same content uploaded before).
    """

    sha256: Sha256
    size: NonNegative
    name: FileName = ""
    mime: MimeType = ""


class UploadChunk(Frame, tag="chunk"):
    """Bytes of an announced upload at `offset`; answered by an UploadState."""

    sha256: Sha256
    offset: NonNegative
    data: bytes


class DownloadRequest(Frame, tag="download"):
    """Ask for `length` bytes of a stored file from `offset`; answered by a DownloadChunk."""

    sha256: Sha256
    offset: NonNegative = 0
    length: ChunkSize = 128 * 1024


class SetPushUrl(Frame, tag="push_url"):
    """Where the user's offline pushes go: an Apprise URL (ntfy://, gotify://, json://,
    mailto://, ...); "" removes it (the server's own default applies again); None only
    reads it. Answered by PushUrlState."""

    url: Annotated[str, msgspec.Meta(max_length=2048)] | None = None


CLIENT_FRAMES = (
    Hello,
    Ping,
    SendMessage,
    SyncRequest,
    PullRequest,
    PullMany,
    MarkRead,
    UpdateConversation,
    Recall,
    DeleteMessages,
    ClearHistory,
    UpdatePrivacy,
    GroupRequest,
    ReadReceipt,
    ReceiptQuery,
    UploadStart,
    UploadChunk,
    DownloadRequest,
    *CHATROOM_CLIENT_FRAMES,
    *pub.PUBLIC_CLIENT_FRAMES,
    SetPushUrl,
    ProfileQuery,
    UpdateProfile,
    UltraRequest,
    UltraSettings,
    UltraSync,
    EditMessage,
    DeleteBefore,
    *CS_CLIENT_FRAMES,
)
ClientFrame = (
    Hello
    | Ping
    | SendMessage
    | SyncRequest
    | PullRequest
    | PullMany
    | MarkRead
    | UpdateConversation
    | Recall
    | DeleteMessages
    | ClearHistory
    | UpdatePrivacy
    | GroupRequest
    | ReadReceipt
    | ReceiptQuery
    | UploadStart
    | UploadChunk
    | DownloadRequest
    | ChatroomJoin
    | ChatroomLeave
    | ChatroomQuery
    | ChatroomAttrs
    | ChatroomList
    | pub.PublicClientFrame
    | SetPushUrl
    | ProfileQuery
    | UpdateProfile
    | UltraRequest
    | UltraSettings
    | UltraSync
    | EditMessage
    | DeleteBefore
    | CsAgentRequest
)


# ---------------------------------------------------------------- server → client


class Welcome(Frame, tag="welcome"):
    """Login accepted: the negotiated version and the session's limits."""

    version: int
    user_id: str
    server_time: int
    heartbeat_seconds: float
    max_frame_bytes: int
    max_content_bytes: int
    max_upload_bytes: int = 0


class Pong(Frame, tag="pong"):
    """Answer to a Ping."""

    server_time: int


class SendAck(Frame, tag="ack"):
    """The message is committed: its server id, seq and server time. Sent after commit.
    `content` is the content stored, only when it is not what the device sent (the
    app's sensitive words or its backend replaced it): the sender's copy becomes it."""

    cmid: str
    uid: str
    seq: int
    sent_at: int
    conv: ConvRef
    content: dict[str, Any] | None = None


class SyncReply(Frame, tag="synced"):
    """Conversations changed since the requested cursor, and the cursor to use next time."""

    cursor: int
    conversations: list[ConversationState]
    has_more: bool = False


class PullReply(Frame, tag="messages"):
    """A page of messages answering a PullRequest.

    `floor_seq` is the lowest seq the server still keeps for this request's kind of pull
    (retention): a client that asked for older ones knows they are gone, not lost.
    """

    conv: ConvRef
    messages: list[MessageRecord]
    has_more: bool
    floor_seq: int


class PullPage(msgspec.Struct, omit_defaults=True, kw_only=True):
    """One conversation's page in PullPages: a PullReply's fields, or `code`, the error
    that conversation alone got (not a member, …), with no messages."""

    conv: ConvRef
    messages: list[MessageRecord] = []
    has_more: bool = False
    floor_seq: int = 1
    code: int = 0


class PullPages(Frame, tag="pages"):
    """The answer to a PullMany: a page per item, in the order asked."""

    pages: list[PullPage]


class Push(Frame, tag="push"):
    """A message delivered as it happens. A hint: the seq is the truth."""

    message: MessageRecord


class ErrorFrame(Frame, tag="error"):
    """A request failed, or a frame was refused. `re` names the request when known."""

    code: int
    message: str


class ConversationUpdate(Frame, tag="conversation"):
    """A conversation's read positions or settings changed: the answer to MarkRead and
    UpdateConversation, and a push (`re` 0) to the user's other devices and peers."""

    state: ConversationState


class PrivacyState(Frame, tag="privacy_state"):
    """Who the user blocks, who is on their whitelist, and whether whitelist mode is on
    (then only listed users may message them). The answer to UpdatePrivacy, and a push."""

    blocked: list[str] = []
    allowed: list[str] = []
    whitelist_mode: bool = False


class GroupInfo(Frame, tag="group_info"):
    """A group as it is now: name, owner and members (the owner first)."""

    group: str
    name: str
    owner: str
    members: list[str]
    muted: list[str] = []
    all_muted: bool = False
    speakers: list[str] = []
    invited: list[str] = []
    """Those this request invited rather than added: they join when they accept."""


class Receipt(msgspec.Struct, omit_defaults=True, kw_only=True):
    """Who of the members who can see a message has read it, and who has not yet."""

    uid: str
    read: list[str] = []
    unread: list[str] = []


class ReceiptState(Frame, tag="receipt_state"):
    """Read receipts of the sender's group messages: the answer to ReceiptQuery, and a
    push (`re` 0) to the sender's devices when someone reads one. Empty: the answer to
    ReadReceipt."""

    conv: ConvRef
    receipts: list[Receipt] = []


class UploadState(Frame, tag="uploaded"):
    """How far an upload is: bytes held (`offset`), and its URL once `done`.

    `mime` is what the server found the content to be (from its first bytes).
    """

    sha256: str
    offset: int
    done: bool = False
    url: str = ""
    mime: str = ""


class DownloadChunk(Frame, tag="bytes"):
    """Bytes of a stored file from `offset`; `total` is the file's size."""

    sha256: str
    offset: int
    total: int
    data: bytes
    mime: str = ""


class Notice(Frame, tag="notice"):
    """A notification for the user that is not a message (the Server API's `/push`):
    nothing is stored; a running app shows it (a toast, and a desktop notification)."""

    body: Annotated[str, msgspec.Meta(max_length=4096)]
    title: Annotated[str, msgspec.Meta(max_length=256)] = ""


class PushUrlState(Frame, tag="push_url_state"):
    """The user's own push URL ("" when none) and whether the server sends offline
    pushes at all: the answer to SetPushUrl."""

    url: str = ""
    pushes: bool = False


SERVER_FRAMES = (
    Welcome,
    Pong,
    SendAck,
    SyncReply,
    PullReply,
    PullPages,
    Push,
    ErrorFrame,
    ConversationUpdate,
    PrivacyState,
    GroupInfo,
    ReceiptState,
    UploadState,
    DownloadChunk,
    *CHATROOM_SERVER_FRAMES,
    *pub.PUBLIC_SERVER_FRAMES,
    Notice,
    PushUrlState,
    ProfileList,
    UltraInfo,
    UltraSynced,
    UltraUpdate,
    UltraDeleted,
    *CS_SERVER_FRAMES,
)
ServerFrame = (
    Welcome
    | Pong
    | SendAck
    | SyncReply
    | PullReply
    | PullPages
    | Push
    | ErrorFrame
    | ConversationUpdate
    | PrivacyState
    | GroupInfo
    | ReceiptState
    | UploadState
    | DownloadChunk
    | ChatroomJoined
    | ChatroomInfo
    | ChatroomAttrState
    | ChatroomDirectory
    | ChatroomEvent
    | pub.PublicServerFrame
    | Notice
    | PushUrlState
    | ProfileList
    | UltraInfo
    | UltraSynced
    | UltraUpdate
    | UltraDeleted
    | CsAgentState
)
