"""What every service of the client is built with: one context, declared once.

`IMClient` keeps the messaging basics (send, pages, the conversation list) and the
connection's life; each feature (`client.groups`, `client.files`, `client.history`, …)
is a service object built with a :class:`ClientContext`. A service sees only what this
protocol names, so a test or another driver can hand it a context of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from imkit_tui.core.connection import Connection
    from imkit_tui.core.engine import UltraWork
    from imkit_tui.core.events import EventBus
    from imkit_tui.core.models import Conversation, Message
    from imkit_tui.core.store import LocalStore
    from imkit_tui.core.transfer import Transfers
    from imkit_tui.protocol import ConversationUpdate, ConvRef, MessageRecord


class ClientContext(Protocol):
    """The shape of the context a client service is built with."""

    @property
    def user_id(self) -> str:
        """The user this client is."""
        ...

    @property
    def events(self) -> EventBus:
        """Where the client publishes its events."""
        ...

    @property
    def connection(self) -> Connection:
        """The connection to the server (requests raise NotConnected offline)."""
        ...

    @property
    def transfers(self) -> Transfers:
        """Uploads and downloads of message files, and their cache."""
        ...

    @property
    def timeout(self) -> float:
        """Seconds a request waits for its answer."""
        ...

    @property
    def store(self) -> LocalStore:
        """The local store (raises RuntimeError while the client is not open)."""
        ...

    async def send(
        self,
        conv: ConvRef,
        object_name: str,
        content: dict[str, Any],
        *,
        cmid: str | None = None,
        to: Sequence[str] = (),
    ) -> Message:
        """Queue a message through the outbox (see `IMClient.send`)."""
        ...

    def note_acked(self, conv: ConvRef, seq: int) -> None:
        """The server acknowledged a change of `conv` at `seq` (a recall): the sync
        counts it as seen."""
        ...

    async def apply_state_update(self, update: ConversationUpdate) -> Conversation:
        """Apply a conversation's new state as the server answered it."""
        ...

    async def store_records(self, conv: ConvRef, records: list[MessageRecord]) -> None:
        """Store records the server sent for `conv` (an older page of its history)."""
        ...

    async def apply_ultra(self, work: UltraWork) -> None:
        """Apply ultra group work in the inbound task, in order with the pushes; return
        once it is applied."""
        ...

    def queue_ultra(self, work: UltraWork) -> None:
        """Queue ultra group work for the inbound task (a pushed change)."""
        ...
