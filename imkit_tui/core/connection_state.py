"""The state of the connection, as a user would name it.

Apart from the events (:mod:`imkit_tui.core.events` re-exports it) so that a UI can show
it, e.g. in its first frame, without loading the events.
"""

from __future__ import annotations

import enum


class ConnectionState(enum.StrEnum):
    """The connection as a user would name it."""

    OFFLINE = "offline"
    CONNECTING = "connecting"
    SYNCING = "syncing"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    REFUSED = "refused"
