"""The client core (the IMLib equivalent): connection, outbox, sync, local store, events.

Never imports textual: a UI talks to it through `IMClient` and its events.
"""

from imkit_tui.core.backoff import Backoff
from imkit_tui.core.client import IMClient
from imkit_tui.core.connection import LoginRefused, NotConnected, RequestFailed
from imkit_tui.core.events import (
    ConnectionChanged,
    ConnectionState,
    ConversationUpdated,
    Event,
    HistoryCleared,
    MessagesDeleted,
    MessagesReceived,
    MessageUpdated,
    PrivacyChanged,
    ReceiptsUpdated,
    StatusReceived,
    Subscription,
    SyncCompleted,
    TransferProgress,
)
from imkit_tui.core.models import Conversation, Direction, Message, PrivacySettings, SendStatus

__all__ = [
    "Backoff",
    "ConnectionChanged",
    "ConnectionState",
    "Conversation",
    "ConversationUpdated",
    "Direction",
    "Event",
    "HistoryCleared",
    "IMClient",
    "LoginRefused",
    "Message",
    "MessageUpdated",
    "MessagesDeleted",
    "MessagesReceived",
    "NotConnected",
    "PrivacyChanged",
    "PrivacySettings",
    "ReceiptsUpdated",
    "RequestFailed",
    "SendStatus",
    "StatusReceived",
    "Subscription",
    "SyncCompleted",
    "TransferProgress",
]
