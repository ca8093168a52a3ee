"""Typed events the client core publishes, and the subscription that delivers them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

from imkit_tui.core.connection_state import ConnectionState as ConnectionState  # re-exported
from imkit_tui.core.customer_service_state import CsState
from imkit_tui.core.models import Conversation, Message, PrivacySettings
from imkit_tui.core.profile_store import Profile
from imkit_tui.protocol import ChatroomEventKind, ConvRef, CsAgentState, MessageRecord


@dataclass(frozen=True, slots=True)
class ConnectionChanged:
    """The connection state changed; `detail` says why when there is a reason."""

    state: ConnectionState
    detail: str = ""
    code: int | None = None


@dataclass(frozen=True, slots=True)
class MessagesReceived:
    """New messages of one conversation are in the store, in seq order."""

    conv: ConvRef
    messages: tuple[Message, ...]


@dataclass(frozen=True, slots=True)
class MessageQueued:
    """An own message is in the outbox (status SENDING; for a client id sent before,
    the message as stored): its first state. MessageUpdated follows when the server
    acknowledges or refuses it. The UI shows own messages from this event, as it shows
    others' from MessagesReceived."""

    message: Message


@dataclass(frozen=True, slots=True)
class MessageUpdated:
    """A message changed: one of ours was sent or failed, one was recalled or edited;
    `message` is its new state."""

    message: Message


@dataclass(frozen=True, slots=True)
class StatusReceived:
    """A status message (typing, …): delivered live, never stored or counted."""

    record: MessageRecord


@dataclass(frozen=True, slots=True)
class SyncCompleted:
    """The post-connect sync finished: the store holds everything the server had."""

    conversations: int


@dataclass(frozen=True, slots=True)
class ConversationUpdated:
    """A conversation's read positions or settings changed (here, on another device, or
    the peer read it); `conversation` is its new list row."""

    conversation: Conversation


@dataclass(frozen=True, slots=True)
class MessagesDeleted:
    """Messages of `conv` were deleted (here or on another device of this user): they
    are gone from the chat; those with a seq stay in the store as tombstones."""

    conv: ConvRef
    message_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class HistoryCleared:
    """The history of `conv` up to `seq` was cleared (here or on another device)."""

    conv: ConvRef
    seq: int


@dataclass(frozen=True, slots=True)
class TransferProgress:
    """The file of a message is moving: `done` of `total` bytes, up (`upload`) or down.

    Published as the percentage changes and once at the end (`done == total`).
    """

    message_id: int
    done: int
    total: int
    upload: bool

    @property
    def fraction(self) -> float:
        """How far the transfer is, from 0.0 to 1.0."""
        return min(1.0, self.done / self.total) if self.total > 0 else 1.0


@dataclass(frozen=True, slots=True)
class PrivacyChanged:
    """Who may message this user changed (here or on another device): `privacy` is the
    new block list, whitelist and whitelist mode."""

    privacy: PrivacySettings


@dataclass(frozen=True, slots=True)
class ReceiptsUpdated:
    """Who has read own group messages that receipts were asked for, by server id:
    (who read, who has not yet). Pushed when someone reads one."""

    conv: ConvRef
    receipts: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]


@dataclass(frozen=True, slots=True)
class UltraChanged:
    """Something of ultra group `group` changed: its channels, their counts, the user's
    settings, or the user is no longer in it (read `store.ultra` again)."""

    group: str


@dataclass(frozen=True, slots=True)
class ProfilesChanged:
    """People's display names or portraits changed (first read, or changed anywhere):
    screens showing them draw them again (core/profiles.py)."""

    profiles: tuple[Profile, ...]


@dataclass(frozen=True, slots=True)
class NoticeReceived:
    """A notification for this user that is not a message (the app's backend sent it
    through the Server API's `/push`): nothing was stored."""

    title: str
    body: str


@dataclass(frozen=True, slots=True)
class RoomMessagesReceived:
    """New messages of a joined chatroom are held (core/chatroom_store.py), in seq
    order: others' as they arrive, the ones a join brings, and own ones as they are
    sent (status SENDING; RoomMessageUpdated follows)."""

    room: str
    messages: tuple[Message, ...]


@dataclass(frozen=True, slots=True)
class RoomMessageUpdated:
    """An own chatroom message was acknowledged (SENT, with its seq) or refused or
    dropped under load (FAILED, with the code); `message` is its new state."""

    message: Message


RoomChange = (
    Literal["joined", "rejoined", "left", "disconnected", "rejoin_failed", "attributes"]
    | ChatroomEventKind
)
"""What happened to a room: this client joined it, joined it again after a reconnect,
left it, lost it with the connection (it is joined again after the next login), could
not join it again (`code` says why); its attributes changed; or what the server said
(core/chatrooms.py; protocol/chatroom_frames.py `ChatroomEvent`)."""

ROOM_ENDED: frozenset[str] = frozenset(
    {"left", "rejoin_failed", "destroyed", "kicked", "banned", "auto_exit"}
)
"""Changes after which this client is out of the room for good (until joined again)."""


@dataclass(frozen=True, slots=True)
class RoomChanged:
    """Something happened to a chatroom or to this user in it.

    `member_count` is the room's count when the change says it (a join); `until` when a
    ban or a mute ends (0: until lifted); `user` whom a change names; `code` the error
    code of a failed rejoin."""

    room: str
    kind: RoomChange
    member_count: int | None = None
    until: int = 0
    user: str | None = None
    code: int | None = None

    @property
    def ended(self) -> bool:
        """Whether this client is now out of the room for good (not only disconnected)."""
        return self.kind in ROOM_ENDED


@dataclass(frozen=True, slots=True)
class CustomerServiceChanged:
    """A conversation with a customer service moved (robot, waiting, an agent, ended; a
    rating or a left message asked for): `state` is where it stands now."""

    state: CsState


@dataclass(frozen=True, slots=True)
class AgentDeskChanged:
    """The customer-service desk changed (an agent's view): who waits, whose are whose."""

    desk: CsAgentState


Event = (
    ConnectionChanged
    | MessagesReceived
    | MessageQueued
    | MessageUpdated
    | StatusReceived
    | SyncCompleted
    | TransferProgress
    | ConversationUpdated
    | PrivacyChanged
    | MessagesDeleted
    | HistoryCleared
    | ReceiptsUpdated
    | UltraChanged
    | ProfilesChanged
    | NoticeReceived
    | RoomMessagesReceived
    | RoomMessageUpdated
    | RoomChanged
    | CustomerServiceChanged
    | AgentDeskChanged
)


class EventBus:
    """Fans events out to every subscription; publishing never blocks."""

    def __init__(self) -> None:
        self._subscribers: set[Subscription] = set()

    def publish(self, event: Event) -> None:
        """Deliver `event` to every current subscriber."""
        for subscriber in tuple(self._subscribers):
            subscriber.queue.put_nowait(event)

    def subscribe(self) -> Subscription:
        """A new subscription that receives every event published from now on."""
        subscription = Subscription(self)
        self._subscribers.add(subscription)
        return subscription

    def _remove(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)


class Subscription:
    """An async iterator of events; close it (or use `with`) when done."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self.queue: asyncio.Queue[Event] = asyncio.Queue()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while True:
            yield await self.queue.get()

    async def next(self, timeout: float | None = None) -> Event:
        """The next event, waiting at most `timeout` seconds."""
        async with asyncio.timeout(timeout):
            return await self.queue.get()

    def close(self) -> None:
        """Stop receiving events."""
        self._bus._remove(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
