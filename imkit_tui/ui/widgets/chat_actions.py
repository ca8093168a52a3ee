"""Actions on the chat view's messages: keys, marks for a multi-forward, transfers, media.

A mixin of :class:`~imkit_tui.ui.widgets.chat_view.ChatView`, kept apart so the view's
window logic stays readable. The view never acts by itself: a key on the selected
bubble posts :class:`~imkit_tui.ui.bubbles.Bubble.ActionRequested` from that bubble
(exactly as a click on it does), "forward" posts :class:`ChatActions.ForwardRequested`
and the menu key :class:`ChatActions.MenuRequested`; the screen does the work. The
screen feeds back transfer progress (:meth:`ChatActions.show_transfer`) and files that
became local (:meth:`ChatActions.set_media_path`).

Keys (bound in ChatView): o or enter the bubble's default action (a long text opens in
the reader), z unfolds or folds a long text in place, c copy, s save, p play/stop, f
forward, space mark or unmark for forwarding, m or . the actions menu (download and
every other action are there); a right click opens the menu too (handled in ChatView).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from textual.actions import SkipAction
from textual.message import Message as TextualMessage
from textual.timer import Timer

from imkit_tui import messages as catalogue
from imkit_tui.core import Message
from imkit_tui.ui.bubbles import Bubble
from imkit_tui.ui.widgets._chat_entries import Entry, sort_key

if TYPE_CHECKING:
    from imkit_tui.ui.widgets.bubble_list import BubbleList

    _Base = BubbleList
else:
    _Base = object

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

BubbleHook = Callable[[list[Bubble]], None]
"""Called with bubbles the view just created (to fetch their media lazily)."""


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


class ChatActions(_Base):
    """Message actions, marks and transfer display for the chat view (a mixin)."""

    _entries: list[Entry]
    _by_id: dict[int, Entry]
    _selected: Entry | None
    _marked: dict[int, Message]
    _transfer_timers: dict[int, Timer]
    _peer_read_seq: int = 0
    _newest_seq: int | None
    _unseen: int
    _bottom_gap: bool
    _bottom_pruned: bool
    on_new_bubbles: BubbleHook | None
    """Called with every batch of bubbles the view creates (set by the screen)."""

    if TYPE_CHECKING:  # provided by ChatView

        async def show(
            self, messages: Sequence[Message], *, unread_after_seq: int | None = None
        ) -> None:
            """Replace the content with a page of messages."""

        def _set_selected(self, entry: Entry | None) -> None: ...

        def _set_unseen(self, count: int) -> None: ...

        def _remove(self, entries: list[Entry]) -> None: ...

        def _decorate(self, previous: Entry | None, entry: Entry) -> None: ...

        async def load_older(self) -> int:
            """Load one page above the oldest shown message."""

        async def jump_to_latest(self) -> None:
            """Scroll to the newest message."""

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

    async def show_around(
        self, messages: Sequence[Message], target: Message, *, newest_seq: int | None
    ) -> None:
        """Show a page around ``target`` (a search result): select it, scroll it to the
        middle of the view.

        ``newest_seq`` is the conversation's newest seq. When the page stops below it,
        the view knows newer messages exist: the bar says "Newer messages ↓", end (or
        the bar) loads the newest page, and new arrivals wait below, counted, as they
        do while the user reads far up.
        """
        await self.show(messages)
        shown = max((m.seq for m in messages if m.seq is not None), default=None)
        if newest_seq is not None and shown is not None and newest_seq > shown:
            self._bottom_gap = self._bottom_pruned = True
            self._newest_seq = newest_seq
            self._set_unseen(self._unseen)
        entry = self._by_id.get(target.id)
        if entry is not None:
            self._set_selected(entry)
            self.call_after_refresh(self._scroll_to_selected)

    def select_message(self, message_id: int) -> bool:
        """Select a held message and scroll it to the middle of the view; False when
        it is not held (then show a page around it with :meth:`show_around`)."""
        entry = self._by_id.get(message_id)
        if entry is None:
            return False
        self._set_selected(entry)
        self.call_after_refresh(self._scroll_to_selected)
        return True

    def _scroll_to_selected(self) -> None:
        entry = self._selected
        if entry is None:
            return
        self._relayout()
        self.scroll_to_bubble(entry.bubble, center=True)

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
        """Take deleted messages out of the view (the dividers around them are redone)."""
        gone_ids = {i for i in message_ids if i in self._by_id}
        if not gone_ids:
            return
        gone = [self._by_id[i] for i in gone_ids]
        self._entries[:] = [e for e in self._entries if e.message.id not in gone_ids]
        for message_id in gone_ids:
            self._marked.pop(message_id, None)
        self._remove(gone)
        previous = None
        for entry in self._entries:
            self._decorate(previous, entry)
            previous = entry
        if previous is not None:
            previous.bubble.run_tail = True

    def show_peer_read(self, read_seq: int) -> None:
        """Mark own messages up to ``read_seq`` as read by the peer (private chats)."""
        self._peer_read_seq = read_seq
        for entry in self._entries:
            self._show_read(entry.bubble)

    def _show_read(self, bubble: Bubble) -> None:
        seq = bubble.message.seq
        bubble.peer_read = bubble.own and seq is not None and seq <= self._peer_read_seq

    def _bubbles_made(self, made: list[Bubble]) -> None:
        """Show marks on new bubbles and hand them to :attr:`on_new_bubbles`."""
        for bubble in made:
            if bubble.message.id in self._marked:
                bubble.marked = True
            if self._peer_read_seq:
                self._show_read(bubble)
        hook = self.on_new_bubbles
        if hook is not None and made:
            try:
                hook(made)
            except Exception as error:
                self.log.error(f"chat view: the new-bubble hook failed: {error!r}")

    def _end_transfer(self, message_id: int) -> None:
        self._transfer_timers.pop(message_id, None)
        bubble = self.bubble_of(message_id)
        if bubble is not None:
            bubble.set_transfer(None)
