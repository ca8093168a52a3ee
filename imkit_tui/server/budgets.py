"""A budget per user for every kind of frame: past it, 20604 and nothing is done.

Sends have their own limit (`rate_per_second`, `rate_burst`); every other request a
client can make costs from one of the budgets below, per user across all their devices,
so no frame type lets one user make the server work without bound. A pull costs the
number of messages it asks for (a PullMany, the sum over its conversations), every other
frame one. The defaults leave an ordinary
client far inside them: a new device's first sync of 1,000 conversations asks for about
50,000 messages, the pull budget's burst.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from imkit_tui.protocol import (
    ChatroomAttrs,
    ChatroomJoin,
    ChatroomLeave,
    ChatroomList,
    ChatroomQuery,
    ClearHistory,
    CsAgentRequest,
    DeleteBefore,
    DeleteMessages,
    DownloadRequest,
    ErrorCode,
    Frame,
    GroupRequest,
    MarkRead,
    Ping,
    ProtocolError,
    PullMany,
    PullRequest,
    ReadReceipt,
    Recall,
    ReceiptQuery,
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
from imkit_tui.protocol.profile_frames import ProfileQuery, UpdateProfile
from imkit_tui.protocol.public_frames import PublicFollow, PublicQuery, PublicSearch
from imkit_tui.server.ratelimit import TokenBucket


@dataclass(frozen=True, slots=True)
class Budget:
    """`rate` units a second on average, bursts of up to `burst`."""

    rate: float
    burst: int


@dataclass(frozen=True, slots=True)
class FrameBudgets:
    """The budget of each kind of frame, per user."""

    group: Budget = field(default_factory=lambda: Budget(2.0, 30))
    """Group and ultra group operations: create, invite, kick, rename, mute, info, …"""
    pull: Budget = field(default_factory=lambda: Budget(5000.0, 50_000))
    """Messages asked for by pulls (a pull costs its `limit`)."""
    sync: Budget = field(default_factory=lambda: Budget(5.0, 60))
    """Sync requests (what changed since a cursor; the ultra groups' counts)."""
    upload: Budget = field(default_factory=lambda: Budget(100.0, 400))
    """Upload announcements and chunks (bytes are bounded by the upload quota)."""
    download: Budget = field(default_factory=lambda: Budget(100.0, 1000))
    """Download requests."""
    receipt: Budget = field(default_factory=lambda: Budget(20.0, 300))
    """Read receipts and receipt queries."""
    state: Budget = field(default_factory=lambda: Budget(20.0, 300))
    """Read marks, conversation and ultra group settings, deletions (by time too),
    clears, recalls, privacy changes."""
    ping: Budget = field(default_factory=lambda: Budget(2.0, 20))
    """Application pings."""
    profile: Budget = field(default_factory=lambda: Budget(10.0, 100))
    """Profile queries (each up to 100 users) and changes of one's own profile."""
    chatroom: Budget = field(default_factory=lambda: Budget(10.0, 100))
    """Chatroom joins, leaves, queries, attribute changes and listings."""
    public: Budget = field(default_factory=lambda: Budget(5.0, 60))
    """Public service account searches, profiles, follows and unfollows."""
    customer_service: Budget = field(default_factory=lambda: Budget(5.0, 60))
    """An agent's requests to the customer-service desk (view, take, end, left)."""


_KINDS: dict[type[Frame], str] = {
    GroupRequest: "group",
    UltraRequest: "group",
    UltraSync: "sync",
    UltraSettings: "state",
    DeleteBefore: "state",
    PullRequest: "pull",
    PullMany: "pull",
    SyncRequest: "sync",
    UploadStart: "upload",
    UploadChunk: "upload",
    DownloadRequest: "download",
    ReadReceipt: "receipt",
    ReceiptQuery: "receipt",
    MarkRead: "state",
    UpdateConversation: "state",
    DeleteMessages: "state",
    ClearHistory: "state",
    Recall: "state",
    UpdatePrivacy: "state",
    SetPushUrl: "state",
    Ping: "ping",
    ProfileQuery: "profile",
    UpdateProfile: "profile",
    ChatroomJoin: "chatroom",
    ChatroomLeave: "chatroom",
    ChatroomQuery: "chatroom",
    ChatroomAttrs: "chatroom",
    ChatroomList: "chatroom",
    PublicSearch: "public",
    PublicQuery: "public",
    PublicFollow: "public",
    CsAgentRequest: "customer_service",
}


class FrameAccounts:
    """Charges each user's frames to their budgets."""

    def __init__(self, budgets: FrameBudgets) -> None:
        self._budgets = budgets
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    def charge(self, user_id: str, frame: Frame) -> None:
        """Take the frame's cost from `user_id`'s budget; ProtocolError 20604 when over."""
        kind = _KINDS.get(type(frame))
        if kind is None:
            return
        cost = _cost(frame)
        key = (user_id, kind)
        bucket = self._buckets.get(key)
        if bucket is None:
            budget: Budget = getattr(self._budgets, kind)
            bucket = self._buckets[key] = TokenBucket(budget.rate, budget.burst)
        if not bucket.allow(cost):
            raise ProtocolError(
                ErrorCode.RATE_LIMITED, f"too many {kind} requests: slow down", frame.id
            )


def _cost(frame: Frame) -> int:
    """What a frame takes from its budget: a pull, the messages it asks for."""
    if isinstance(frame, PullRequest):
        return frame.limit
    if isinstance(frame, PullMany):
        return sum(spec.limit for spec in frame.pulls)
    return 1
