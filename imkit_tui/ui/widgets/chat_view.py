"""The chat view: the chat window with keys, marks for a multi-forward, transfers, media.

:class:`ChatView` is a :class:`~imkit_tui.ui.widgets.chat_window.ChatWindow` (which holds
and pages the messages and owns the selection) with the keys on top. The view never
acts by itself: a key on the selected bubble posts
:class:`~imkit_tui.ui.bubbles.Bubble.ActionRequested` from that bubble (exactly as a
click on it does), "forward" posts :class:`ChatView.ForwardRequested`
and the menu key :class:`ChatView.MenuRequested`; the screen does the work. The
screen feeds back transfer progress (:meth:`ChatView.show_transfer`) and files that
became local (:meth:`ChatView.set_media_path`).

Keys (bound in ChatView): o or enter the bubble's default action (a long text opens in
the reader), z unfolds or folds a long text in place, c copy, s save, p play/stop, f
forward, space mark or unmark for forwarding, m or . the actions menu (download and
every other action are there); a right click opens the menu too.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar, Unpack

from textual import events
from textual.actions import SkipAction
from textual.binding import Binding, BindingType
from textual.message import Message as TextualMessage
from textual.timer import Timer

from imkit_tui import messages as catalogue
from imkit_tui.core import Message
from imkit_tui.ui.bubbles import Bubble
from imkit_tui.ui.widgets._chat_entries import Entry, sort_key
from imkit_tui.ui.widgets.chat_window import (
    BubbleHook,
    ChatWindow,
    WindowOptions,
)

FALLBACK_DEFAULTS: dict[str, str] = {
    catalogue.IMAGE: "view",
    catalogue.GIF: "view",
    catalogue.COMBINE: "view",
    catalogue.VOICE: "play",
    catalogue.VOICE_LEGACY: "play",
    catalogue.SIGHT: "play",
    catalogue.FILE: "download",
}
"""The default action of a type whose bubble names none (a bubble not written yet)."""

HOLD_FINISHED = 1.0
"""Seconds a finished transfer keeps showing 100% before its bar goes away."""


def each_hook(*hooks: BubbleHook) -> BubbleHook:
    """A new-bubbles hook that calls each of ``hooks`` in turn."""

    def hook(bubbles: list[Bubble]) -> None:
        for each in hooks:
            each(bubbles)

    return hook


def default_action(bubble: Bubble) -> str | None:
    """The bubble's default action, or the usual one for its type when it names none."""
    name = getattr(bubble, "default_action", None)
    if isinstance(name, str) and name:
        return name
    return FALLBACK_DEFAULTS.get(bubble.message.object_name)


class ChatView(ChatWindow, can_focus=True):
    """A chat window with keys and actions on its messages.

    Keys: up/down (k/j) select a bubble, end (G) jumps to the latest, r retries a
    selected failed message. On the selected message: o/enter open (a long text: read
    it whole), z unfold or fold a long text in place, c copy, s save, p play, f forward,
    space mark, m or . the actions menu.
    """

    DEFAULT_CSS = """
    ChatView {
        height: 1fr;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "select_previous", "Previous message", show=False),
        Binding("down,j", "select_next", "Next message", show=False),
        Binding("end,G", "jump_to_latest", "Latest messages", show=False),
        Binding("r", "retry", "Retry sending", show=False),
        Binding("escape", "clear_selection", "Clear selection", show=False),
        Binding("o,enter", "act('')", "Open", show=False),
        Binding("c", "act('copy')", "Copy", show=False),
        Binding("s", "act('save')", "Save", show=False),
        Binding("p", "act('play')", "Play/stop", show=False),
        Binding("f", "forward", "Forward", show=False),
        Binding("space", "toggle_mark", "Mark", show=False),
        Binding("m,full_stop", "menu", "Actions", show=False),
        Binding("x", "act('recall')", "Recall", show=False),
        Binding("d", "act('delete')", "Delete", show=False),
        Binding("e", "act('re_edit')", "Re-edit", show=False),
        Binding("z", "toggle_fold", "Unfold", show=False),
    ]

    class RetryRequested(TextualMessage):
        """The user asked to send a failed own message again (key r, or a click)."""

        def __init__(self, message: Message) -> None:
            self.message = message
            """The failed message."""
            super().__init__()

    def __init__(self, **options: Unpack[WindowOptions]) -> None:
        """Create an empty view (``options`` as for :class:`ChatWindow`); fill it with
        :meth:`show`."""
        super().__init__(**options)
        self._marked: dict[int, Message] = {}
        self._transfer_timers: dict[int, Timer] = {}

    class ForwardRequested(TextualMessage, namespace="chat_view"):
        """The user asked to forward messages: the marked ones, else the selected one."""

        def __init__(self, chosen: list[Message]) -> None:
            self.messages = chosen
            """The messages to forward, in display order."""
            super().__init__()

    class MenuRequested(TextualMessage, namespace="chat_view"):
        """The user asked for the actions menu of a bubble (m, ., right click)."""

        def __init__(self, bubble: Bubble) -> None:
            self.source = bubble
            """The bubble whose actions to list."""
            super().__init__()

    # ------------------------------------------------------------------ queries

    @property
    def selected_bubble(self) -> Bubble | None:
        """The selected bubble, if any."""
        return self._selected.bubble if self._selected is not None else None

    @property
    def marked(self) -> list[Message]:
        """The messages marked for forwarding, in display order (held or not)."""
        return sorted(self._marked.values(), key=sort_key)

    def is_marked(self, message_id: int) -> bool:
        """Whether the message is marked for forwarding."""
        return message_id in self._marked

    # ------------------------------------------------------------------ changes

    def select_message(self, message_id: int) -> bool:
        """Select a held message and scroll it to the middle of the view; False when
        it is not held (then show a page around it with :meth:`show_around`)."""
        entry = self._by_id.get(message_id)
        if entry is None:
            return False
        self._set_selected(entry)
        self.call_after_refresh(self._scroll_to_selected)
        return True

    def toggle_mark(self, message: Message) -> bool:
        """Mark or unmark a message for forwarding; return whether it is now marked."""
        if self._marked.pop(message.id, None) is None:
            self._marked[message.id] = message
        marked = message.id in self._marked
        bubble = self.bubble_of(message.id)
        if bubble is not None:
            bubble.marked = marked
        self.refresh_bindings()
        return marked

    def clear_marks(self) -> None:
        """Unmark every message."""
        for message_id in list(self._marked):
            bubble = self.bubble_of(message_id)
            if bubble is not None:
                bubble.marked = False
        self._marked.clear()
        self.refresh_bindings()

    def show_transfer(self, message_id: int, done: int, total: int) -> None:
        """Show a transfer's progress on the message's bubble (when held).

        A finished transfer (``done >= total``) shows 100% for :data:`HOLD_FINISHED`
        seconds, then the bar goes.
        """
        timer = self._transfer_timers.pop(message_id, None)
        if timer is not None:
            timer.stop()
        bubble = self.bubble_of(message_id)
        if bubble is None:
            return
        bubble.set_transfer(done, total)
        if total > 0 and done >= total:
            self._transfer_timers[message_id] = self.set_timer(
                HOLD_FINISHED, lambda: self._end_transfer(message_id)
            )

    def end_transfer(self, message_id: int) -> None:
        """Take the progress bar off the message's bubble now (a failed transfer)."""
        timer = self._transfer_timers.pop(message_id, None)
        if timer is not None:
            timer.stop()
        self._end_transfer(message_id)

    def set_media_path(self, message_id: int, path: Path | None) -> None:
        """Tell the message's bubble (when held) that its file is at ``path``."""
        bubble = self.bubble_of(message_id)
        if bubble is not None:
            bubble.set_media_path(path)

    # ------------------------------------------------------------------ actions

    async def action_select_previous(self) -> None:
        """Select the bubble above (loading an older page at the top)."""
        if self._selected is not None and self._selected is self._entries[0]:
            await self.load_older()
        self._step(-1)

    def action_select_next(self) -> None:
        """Select the bubble below."""
        self._step(1)

    async def action_jump_to_latest(self) -> None:
        """Jump to the newest message."""
        await self.jump_to_latest()

    def action_retry(self) -> None:
        """Ask to retry the selected message when it failed."""
        if self._selected is not None:
            self._selected.bubble.request_retry()

    def action_clear_selection(self) -> None:
        """Select nothing; the key goes on (escape: back to the list in one press)."""
        self._set_selected(None)
        raise SkipAction

    def action_act(self, action: str = "") -> None:
        """Ask for ``action`` on the selected bubble ("" means its default action)."""
        bubble = self.selected_bubble
        if bubble is None:
            return
        name = action or default_action(bubble)
        if name:
            bubble.post_message(Bubble.ActionRequested(bubble, name, bubble.url_for(name)))
        elif not action:
            self.app.bell()

    def action_toggle_fold(self) -> None:
        """Unfold the selected long text in place, or fold it again (a bell otherwise).

        The view stops following the newest messages, so the text does not run off
        the top while the user reads it."""
        bubble = self.selected_bubble
        if bubble is None:
            return
        self.release_anchor()
        if not bubble.toggle_fold():
            self.app.bell()

    def action_forward(self) -> None:
        """Forward the marked messages, or the selected one when none is marked."""
        chosen = self.marked
        if not chosen and self._selected is not None:
            chosen = [self._selected.message]
        if chosen:
            self.post_message(self.ForwardRequested(chosen))

    def action_toggle_mark(self) -> None:
        """Mark or unmark the selected message for forwarding."""
        if self._selected is not None:
            self.toggle_mark(self._selected.message)

    def action_menu(self) -> None:
        """Open the actions menu of the selected bubble."""
        bubble = self.selected_bubble
        if bubble is not None:
            self.post_message(self.MenuRequested(bubble))

    # ------------------------------------------------------------------ internals

    def _step(self, delta: int) -> None:
        if not self._entries:
            return
        if self._selected is None:
            entry = self._last_visible()
        else:
            index = self._entries.index(self._selected) + delta
            entry = self._entries[max(0, min(index, len(self._entries) - 1))]
        self._set_selected(entry)
        # Selected, it shows its status line: measure it, then scroll to it.
        self._relayout()
        self.scroll_to_bubble(entry.bubble)

    def _last_visible(self) -> Entry:
        shown = self.visible_bubbles()
        if shown:
            entry = self._by_id.get(shown[-1].message.id)
            if entry is not None:
                return entry
        return self._entries[-1]

    def remove_messages(self, message_ids: Iterable[int]) -> None:
        """Take deleted messages out of the view, and out of the marks."""
        gone = list(message_ids)
        for message_id in gone:
            self._marked.pop(message_id, None)
        super().remove_messages(gone)

    def _bubbles_made(self, made: list[Bubble]) -> None:
        """Show marks on new bubbles, then as the window does."""
        for bubble in made:
            if bubble.message.id in self._marked:
                bubble.marked = True
        super()._bubbles_made(made)

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Let r and escape through to the app unless they mean something here."""
        if action == "retry":
            return self._selected is not None and self._selected.bubble.failed
        if action in ("clear_selection", "act", "toggle_mark", "menu", "toggle_fold"):
            return self._selected is not None
        if action == "forward":
            return self._selected is not None or bool(self._marked)
        return True

    def on_bubble_selected(self, event: Bubble.Selected) -> None:
        """A click selects the bubble."""
        event.stop()
        entry = self._by_id.get(event.source.message.id)
        if entry is not None and entry.bubble is event.source:
            self._set_selected(entry)
            self.focus()

    def on_click(self, event: events.Click) -> None:
        """A right click on a bubble selects it and opens its actions menu."""
        if event.button != 3:
            return
        located = self._under_pointer(event)
        if located is not None:
            event.stop()
            event.prevent_default()
            entry = located[0]
            self._set_selected(entry)
            self.focus()
            self.post_message(self.MenuRequested(entry.bubble))

    def on_bubble_retry_requested(self, event: Bubble.RetryRequested) -> None:
        """Turn a bubble's retry request into :class:`RetryRequested`."""
        event.stop()
        self.post_message(self.RetryRequested(event.message))

    def _end_transfer(self, message_id: int) -> None:
        self._transfer_timers.pop(message_id, None)
        bubble = self.bubble_of(message_id)
        if bubble is not None:
            bubble.set_transfer(None)
