"""Typing status in private chats: sent while the user types, shown while the peer does.

A typing status (RC:TypSts) is a status message: live only, never stored or counted, and
dropped when the peer is offline. It is sent at most every :data:`TYPING_SEND_SECONDS`
while the composer changes, and only in private chats, as the service does.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual.widget import Widget

from imkit_tui import messages as catalogue
from imkit_tui.core import Message
from imkit_tui.protocol import ConversationType, ConvRef, MessageRecord
from imkit_tui.ui.widgets.chat_header import ChatHeader

if TYPE_CHECKING:
    from textual.widgets import TextArea  # the composer's, loaded with it

    from imkit_tui.core import IMClient

    _Base = Widget
else:
    _Base = object

TYPING_SEND_SECONDS = 5.0
"""The least time between two typing statuses sent for one conversation."""


class TypingStatus(_Base):
    """Sends and shows typing statuses. Mixed into MainScreen."""

    client: IMClient
    current: ConvRef | None
    _typing_sent: tuple[ConvRef, float] | None = None

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        """The user edits the composer: tell the peer, at most every few seconds."""
        conv = self.current
        area = event.text_area
        if conv is None or conv.type != ConversationType.PRIVATE:
            return
        if not area.has_focus or not area.text.strip():
            return  # a draft being loaded, or the text just cleared by a send
        now = time.monotonic()
        last = self._typing_sent
        if last is not None and last[0] == conv and now - last[1] < TYPING_SEND_SECONDS:
            return
        self._typing_sent = (conv, now)
        content = {"typingContentType": catalogue.TEXT}
        self.run_worker(
            self.client.send_status(conv, catalogue.TYPING, content),
            group="typing",
            exit_on_error=False,
        )

    def typing_received(self, record: MessageRecord) -> None:
        """A status message arrived: show who types in the open conversation."""
        if record.object_name != catalogue.TYPING or record.conv != self.current:
            return
        if record.sender != self.client.user_id:
            self.query_one(ChatHeader).typing(record.sender)

    def typing_done(self, conv: ConvRef, received: list[Message]) -> None:
        """Messages arrived: whoever sent one has stopped typing."""
        if conv != self.current:
            return
        header = self.query_one(ChatHeader)
        for message in received:
            header.stopped(message.sender)
