"""The base of every frame and the payloads and field types frames share.

Kept apart from frames.py so that modules of further frames (chatroom_frames.py) build on
the same Frame while frames.py gathers all of them into the decoders' unions.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from imkit_tui.protocol.conversation import ConvRef

UserId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
ClientMessageId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
ObjectName = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
PageSize = Annotated[int, msgspec.Meta(ge=1, le=500)]
#: The largest integer a frame may carry (a seq, an offset, a cursor, an id): SQLite's.
MAX_INT = 2**63 - 1
NonNegative = Annotated[int, msgspec.Meta(ge=0, le=MAX_INT)]
Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]
FileName = Annotated[str, msgspec.Meta(max_length=255)]
MimeType = Annotated[str, msgspec.Meta(max_length=127)]

MAX_TARGETED = 300
"""The most members one targeted message may name."""
ChunkSize = Annotated[int, msgspec.Meta(ge=1, le=1024 * 1024)]


class Frame(msgspec.Struct, tag_field="t", omit_defaults=True, kw_only=True):
    """Base of every frame: the request id and the id of the request it answers."""

    id: NonNegative = 0
    re: NonNegative = 0


class MessageRecord(msgspec.Struct, omit_defaults=True, kw_only=True):
    """A message as the server stored it (or, for status messages, relayed it).

    `seq` is the gapless per-conversation sequence number, as the receiving member
    numbers the conversation; 0 for messages that are not stored (status messages).
    `conv` is seen from the receiving user's side. `to` names the members a targeted
    message was sent to (empty for everyone's messages); only they and the sender ever
    receive it, and only their numbering counts it. `edited_at` and `edit_seq` are set
    when the content is the newest edit's (ultra groups): its time and the seq of its
    edit event (see :mod:`imkit_tui.protocol.ultra_frames`); the "edited" mark.
    """

    uid: str
    conv: ConvRef
    seq: int
    sender: str
    object_name: str
    content: dict[str, Any]
    cmid: str
    sent_at: int
    to: list[str] = []
    edited_at: int = 0
    edit_seq: int = 0


class ConversationState(msgspec.Struct, omit_defaults=True, kw_only=True):
    """What a sync reply (or a conversation update) says about one conversation.

    `read_seq` is the user's own read position, `peer_read_seq` the other member's in a
    private chat (read receipts). `muted` (do not disturb), `pinned` and `marked_unread`
    are the user's settings, the same on every device.
    """

    conv: ConvRef
    max_seq: int
    last_at: int
    read_seq: int = 0
    peer_read_seq: int = 0
    muted: bool = False
    pinned: bool = False
    marked_unread: bool = False
    cleared_seq: int = 0
    deleted_seqs: list[int] = []
