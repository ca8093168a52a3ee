"""The client core (the IMLib equivalent): connection, outbox, sync, local store, events.

Never imports textual: a UI talks to it through `IMClient` and its events. The names
below load on first use (:func:`imkit_tui.lazy.lazy_names`): a UI can draw its first
frame from the store file (`peek_conversations`) before the client is loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imkit_tui.lazy import lazy_names

if TYPE_CHECKING:
    from imkit_tui.core.backoff import Backoff
    from imkit_tui.core.client import IMClient
    from imkit_tui.core.connection import LoginRefused, NotConnected, RequestFailed
    from imkit_tui.core.connection_state import ConnectionState
    from imkit_tui.core.events import (
        AgentDeskChanged,
        ConnectionChanged,
        ConversationUpdated,
        CustomerServiceChanged,
        Event,
        HistoryCleared,
        MessageQueued,
        MessagesDeleted,
        MessagesReceived,
        MessageUpdated,
        NoticeReceived,
        PrivacyChanged,
        ProfilesChanged,
        ReceiptsUpdated,
        StatusReceived,
        Subscription,
        SyncCompleted,
        TransferProgress,
        UltraChanged,
    )
    from imkit_tui.core.first_look import peek_conversations
    from imkit_tui.core.forward import ForwardError, check_forwardable
    from imkit_tui.core.models import (
        Conversation,
        Direction,
        Message,
        PrivacySettings,
        SendStatus,
        display_order,
    )
    from imkit_tui.core.outbox_claims import process_running
    from imkit_tui.core.ultra_rows import (
        UltraChannelRow,
        UltraGroupRow,
        channel_ref,
        is_ultra_row,
        list_ref,
        ultra_row,
    )

__all__ = [
    "AgentDeskChanged",
    "Backoff",
    "ConnectionChanged",
    "ConnectionState",
    "Conversation",
    "ConversationUpdated",
    "CustomerServiceChanged",
    "Direction",
    "Event",
    "ForwardError",
    "HistoryCleared",
    "IMClient",
    "LoginRefused",
    "Message",
    "MessageQueued",
    "MessageUpdated",
    "MessagesDeleted",
    "MessagesReceived",
    "NotConnected",
    "NoticeReceived",
    "PrivacyChanged",
    "PrivacySettings",
    "ProfilesChanged",
    "ReceiptsUpdated",
    "RequestFailed",
    "SendStatus",
    "StatusReceived",
    "Subscription",
    "SyncCompleted",
    "TransferProgress",
    "UltraChanged",
    "UltraChannelRow",
    "UltraGroupRow",
    "channel_ref",
    "check_forwardable",
    "display_order",
    "is_ultra_row",
    "list_ref",
    "peek_conversations",
    "process_running",
    "ultra_row",
]

_BACKOFF = "imkit_tui.core.backoff"
_CLIENT = "imkit_tui.core.client"
_CONNECTION = "imkit_tui.core.connection"
_EVENTS = "imkit_tui.core.events"
_MODELS = "imkit_tui.core.models"
_OUTBOX_CLAIMS = "imkit_tui.core.outbox_claims"
_FIRST_LOOK = "imkit_tui.core.first_look"
_FORWARD = "imkit_tui.core.forward"
_ULTRA_ROWS = "imkit_tui.core.ultra_rows"
__getattr__ = lazy_names(
    __name__,
    {
        "Backoff": _BACKOFF,
        "UltraChanged": _EVENTS,
        "UltraChannelRow": _ULTRA_ROWS,
        "UltraGroupRow": _ULTRA_ROWS,
        "channel_ref": _ULTRA_ROWS,
        "is_ultra_row": _ULTRA_ROWS,
        "list_ref": _ULTRA_ROWS,
        "ultra_row": _ULTRA_ROWS,
        "ConnectionChanged": _EVENTS,
        "ConnectionState": "imkit_tui.core.connection_state",
        "Conversation": _MODELS,
        "ConversationUpdated": _EVENTS,
        "Direction": _MODELS,
        "Event": _EVENTS,
        "ForwardError": _FORWARD,
        "HistoryCleared": _EVENTS,
        "IMClient": _CLIENT,
        "LoginRefused": _CONNECTION,
        "Message": _MODELS,
        "display_order": _MODELS,
        "MessageQueued": _EVENTS,
        "MessageUpdated": _EVENTS,
        "MessagesDeleted": _EVENTS,
        "MessagesReceived": _EVENTS,
        "NotConnected": _CONNECTION,
        "NoticeReceived": _EVENTS,
        "AgentDeskChanged": _EVENTS,
        "CustomerServiceChanged": _EVENTS,
        "PrivacyChanged": _EVENTS,
        "ProfilesChanged": _EVENTS,
        "PrivacySettings": _MODELS,
        "ReceiptsUpdated": _EVENTS,
        "RequestFailed": _CONNECTION,
        "SendStatus": _MODELS,
        "StatusReceived": _EVENTS,
        "Subscription": _EVENTS,
        "SyncCompleted": _EVENTS,
        "TransferProgress": _EVENTS,
        "check_forwardable": _FORWARD,
        "peek_conversations": _FIRST_LOOK,
        "process_running": _OUTBOX_CLAIMS,
    },
)
