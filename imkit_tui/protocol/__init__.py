"""The wire: typed frames, their codec, error codes and version negotiation.

Sans-I/O: nothing here touches a socket or an event loop.
"""

from imkit_tui.protocol.codec import (
    DEFAULT_MAX_CONTENT_BYTES,
    DEFAULT_MAX_FRAME_BYTES,
    decode_client_frame,
    decode_server_frame,
    encode,
    encode_content,
)
from imkit_tui.protocol.conversation import SYSTEM_ACCOUNT, ConversationType, ConvRef
from imkit_tui.protocol.errors import (
    RETRYABLE_SEND_CODES,
    TERMINAL_CODES,
    ErrorCode,
    ProtocolError,
    describe,
)
from imkit_tui.protocol.frames import (
    ClientFrame,
    ConversationState,
    ErrorFrame,
    Frame,
    Hello,
    MessageRecord,
    Ping,
    Pong,
    PullReply,
    PullRequest,
    Push,
    SendAck,
    SendMessage,
    ServerFrame,
    SyncReply,
    SyncRequest,
    Welcome,
)
from imkit_tui.protocol.version import CURRENT_VERSION, SUPPORTED_VERSIONS, negotiate

__all__ = [
    "CURRENT_VERSION",
    "DEFAULT_MAX_CONTENT_BYTES",
    "DEFAULT_MAX_FRAME_BYTES",
    "RETRYABLE_SEND_CODES",
    "SUPPORTED_VERSIONS",
    "SYSTEM_ACCOUNT",
    "TERMINAL_CODES",
    "ClientFrame",
    "ConvRef",
    "ConversationState",
    "ConversationType",
    "ErrorCode",
    "ErrorFrame",
    "Frame",
    "Hello",
    "MessageRecord",
    "Ping",
    "Pong",
    "ProtocolError",
    "PullReply",
    "PullRequest",
    "Push",
    "SendAck",
    "SendMessage",
    "ServerFrame",
    "SyncReply",
    "SyncRequest",
    "Welcome",
    "decode_client_frame",
    "decode_server_frame",
    "describe",
    "encode",
    "encode_content",
    "negotiate",
]
