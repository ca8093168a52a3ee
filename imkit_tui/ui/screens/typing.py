"""Typing status in private chats: sent while the user types, shown while the peer does.

A typing status (RC:TypSts) is a status message: live only, never stored or counted, and
dropped when the peer is offline. It is sent at most every :data:`TYPING_SEND_SECONDS`
while the composer changes, and only in private chats, as the service does.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from imkit_tui import messages as catalogue
from imkit_tui.core import Message
from imkit_tui.protocol import ConversationType, ConvRef, MessageRecord

if TYPE_CHECKING:
    from textual.widgets import TextArea  # the composer's, loaded with it

    from imkit_tui.ui.screens.main_host import MainHost
    from imkit_tui.ui.widgets.chat_header import ChatHeader

TYPING_SEND_SECONDS = 5.0
"""The least time between two typing statuses sent for one conversation."""


class TypingStatus:
    """Sends typing statuses for the main screen and shows them in its chat header."""

    def __init__(self, host: MainHost, header: ChatHeader) -> None:
        """Send through ``host``'s client; show who types in ``header``."""
        self._host = host
        self._header = header
        self._sent: tuple[ConvRef, float] | None = None

    def edited(self, event: TextArea.Changed) -> None:
        """The user edits the composer: tell the peer, at most every few seconds."""
        conv = self._host.current
        area = event.text_area
        if conv is None or conv.type != ConversationType.PRIVATE:
            return
        if not area.has_focus or not area.text.strip():
            return  # a draft being loaded, or the text just cleared by a send
        now = time.monotonic()
        last = self._sent
        if last is not None and last[0] == conv and now - last[1] < TYPING_SEND_SECONDS:
            return
        self._sent = (conv, now)
        content = {"typingContentType": catalogue.TEXT}
        self._host.run_worker(
            self._host.client.send_status(conv, catalogue.TYPING, content),
            group="typing",
            exit_on_error=False,
        )

    def received(self, record: MessageRecord) -> None:
        """A status message arrived: show who types in the open conversation."""
        if record.object_name != catalogue.TYPING or record.conv != self._host.current:
            return
        if record.sender != self._host.client.user_id:
            self._header.typing(record.sender)

    def done(self, conv: ConvRef, received: list[Message]) -> None:
        """Messages arrived: whoever sent one has stopped typing."""
        if conv != self._host.current:
            return
        for message in received:
            self._header.stopped(message.sender)
