"""The chat view: one conversation as bubbles, in a bounded window of mounted widgets.

Appending to thousands of mounted widgets is slow, so the view never mounts the whole
history: it keeps at most ``window`` bubbles, pages older ones in through a loader as
the user scrolls up (pruning the bottom), and while the user reads far up it does not
mount new arrivals but counts them in a "N new messages ↓" bar.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar

from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.geometry import Size
from textual.layout import DockArrangeResult
from textual.message import Message as TextualMessage
from textual.timer import Timer
from textual.widget import Widget

from imkit_tui.core import Direction, Message
from imkit_tui.ui.bubbles import Bubble, NoticeBubble, bubble_for
from imkit_tui.ui.bubbles.divider import NewMessagesBar, divider_spec
from imkit_tui.ui.widgets._chat_entries import Entry as _Entry
from imkit_tui.ui.widgets._chat_entries import ordered as _ordered
from imkit_tui.ui.widgets._chat_entries import sort_key as _key
from imkit_tui.ui.widgets.chat_actions import BubbleHook, ChatActions

Loader = Callable[[int, int], Awaitable[list[Message]]]
"""``(before_seq, limit)`` → up to ``limit`` messages with a seq below ``before_seq``,
oldest first; ``[]`` when there are no more."""


class ChatView(ChatActions, VerticalScroll, can_focus=True):
    """One conversation as bubbles, with at most ``window`` of them mounted.

    Between bubbles: a date divider when the day changes, a time separator after a gap
    of more than three minutes and a "New messages" divider before the first unread
    message. Keys: up/down (k/j) select a bubble, end (G) jumps to the latest, r
    retries a selected failed message. Scrolling near the top loads an older page.
    On the selected message (see :mod:`~imkit_tui.ui.widgets.chat_actions`): o/enter
    open, c copy, s save, p play, f forward, space mark, m or . the actions menu.
    """

    DEFAULT_CSS = """
    ChatView {
        height: 1fr;
    }
    ChatView > Bubble.-marked {
        border-left: outer $accent;
        background: $accent 10%;
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
    ]

    class RetryRequested(TextualMessage):
        """The user asked to send a failed own message again (key r, or a click)."""

        def __init__(self, message: Message) -> None:
            self.message = message
            """The failed message."""
            super().__init__()

    class NearTop(TextualMessage):
        """The user scrolled near the top; an older page is being loaded."""

    def __init__(
        self,
        *,
        me: str,
        loader: Loader,
        show_senders: bool = False,
        window: int = 300,
        page: int = 50,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Create an empty view; fill it with :meth:`show`.

        Args:
            me: This client's user id (own messages are on the right).
            loader: Fetches older messages (see :data:`Loader`).
            show_senders: Show sender names above others' messages (groups).
            window: The most bubbles mounted at once.
            page: How many messages one :meth:`load_older` asks for.
            name: The widget name; ``id`` and ``classes`` as for any widget.
        """
        super().__init__(name=name, id=id, classes=classes)
        if window < 1 or page < 1:
            raise ValueError("window and page must be positive")
        self._me = me
        self._loader = loader
        self._show_senders = show_senders
        self._window = window
        self._page = page
        self._entries: list[_Entry] = []
        self._by_id: dict[int, _Entry] = {}
        self._held: dict[int, Message] = {}
        self._pending: dict[int, Message] = {}
        self._newest_seq: int | None = None
        self._unread_id: int | None = None
        self._selected: _Entry | None = None
        self._marked: dict[int, Message] = {}
        self._transfer_timers: dict[int, Timer] = {}
        self.on_new_bubbles: BubbleHook | None = None
        self._unseen = 0
        self._bottom_gap = self._bottom_pruned = self._exhausted = self._loading = False
        self._generation = 0
        self._lock = asyncio.Lock()
        self._bar = NewMessagesBar()
        self._arrangement: DockArrangeResult | None = None
        self._dom_work: list[Awaitable[Any]] = []

    # ------------------------------------------------------------------ public API

    @property
    def show_senders(self) -> bool:
        """Whether others' bubbles show the sender's name (groups)."""
        return self._show_senders

    @show_senders.setter
    def show_senders(self, value: bool) -> None:
        """Set it before `show()`: it applies to bubbles made from now on."""
        self._show_senders = value

    @property
    def mounted_count(self) -> int:
        """How many bubbles are mounted (never more than ``window``)."""
        return len(self._entries)

    @property
    def at_bottom(self) -> bool:
        """Whether the newest messages are mounted and scrolled to (within a line)."""
        return not self._bottom_gap and self.scroll_offset.y >= self.max_scroll_y - 1

    @property
    def shown(self) -> list[Message]:
        """The messages of the mounted bubbles, in display order."""
        return [entry.message for entry in self._entries]

    @property
    def unseen(self) -> int:
        """How many new messages the "new messages" bar counts."""
        return self._unseen

    @property
    def selected(self) -> Message | None:
        """The message of the selected bubble, if any."""
        return self._selected.message if self._selected is not None else None

    async def show(
        self, messages: Sequence[Message], *, unread_after_seq: int | None = None
    ) -> None:
        """Replace the content with ``messages`` (the newest page) and scroll to the end.

        With ``unread_after_seq``, a "New messages" divider goes above the first
        message of someone else with a higher seq, and the view scrolls to it when it
        would be above the fold at the end. Only the newest ``window`` are mounted.
        """
        self._generation += 1
        ordered = _ordered(messages)[-self._window :]
        async with self._lock:
            self._held.clear()
            self._pending.clear()
            self._newest_seq = None
            for message in ordered:
                self._track(message)
            self._unseen = 0
            self._bottom_gap = self._bottom_pruned = self._exhausted = False
            self._set_selected(None)
            after = unread_after_seq
            unread = (m for m in ordered if after is not None and (m.seq or 0) > after)
            self._unread_id = next((m.id for m in unread if not self._own(m)), None)
            self._remove(self._entries)
            self._entries, self._by_id = [], {}
            self._insert(ordered)
            await self._settle()
        self._set_unseen(self._unseen)
        self.scroll_end(animate=False)
        if self._unread_id is not None:
            self.call_after_refresh(self._scroll_to_unread)

    async def add(self, messages: Sequence[Message]) -> None:
        """Add new messages at the bottom.

        Ids already shown are updated in place. At the end of the view the new ones are
        mounted and scrolled to; further up they are counted in the "new messages" bar
        (and not mounted when the window has no room or newer ones are missing below).
        A message this device is sending (own, no seq yet) always brings the view to
        the latest.
        """
        jump = False
        async with self._lock:
            fresh: list[Message] = []
            for message in _ordered(messages):
                self._track(message)
                entry = self._by_id.get(message.id)
                if entry is not None:
                    self._update_entry(entry, message)
                elif message.id in self._held:
                    self._held[message.id] = message
                else:
                    fresh.append(message)
            if self._entries and not self._exhausted:
                # Older than the window's top: paging up will bring them.
                top = self._entries[0].key
                fresh = [m for m in fresh if _key(m) > top]
            if not fresh:
                return
            sending = any(self._own(m) and m.seq is None for m in fresh)
            counted = sum(1 for m in fresh if not self._own(m))
            if self.at_bottom or (sending and not self._bottom_gap):
                self._insert(fresh[-self._window :])
                self._trim(top=True)
                await self._settle()
                self._set_unseen(0)
                self.scroll_end(animate=False)
            elif not self._bottom_gap and len(self._entries) + len(fresh) <= self._window:
                self._insert(fresh)
                await self._settle()
                self._set_unseen(self._unseen + counted)
            else:
                for message in fresh:
                    self._held[message.id] = message
                while len(self._held) > self._window:
                    self._held.pop(next(iter(self._held)))
                    self._bottom_pruned = True
                self._bottom_gap = True
                self._set_unseen(self._unseen + counted)
                jump = sending
        if jump:
            await self.jump_to_latest()

    def update_message(self, message: Message) -> None:
        """Show a new state of a message already given (sending → sent or failed), by id."""
        self._track(message)
        entry = self._by_id.get(message.id)
        if entry is not None:
            self._update_entry(entry, message)
        elif message.id in self._held:
            self._held[message.id] = message

    async def load_older(self) -> int:
        """Load one page above the oldest shown message; return how many were added.

        The visible content stays where it is. When the window is full, bubbles at the
        bottom are pruned (:meth:`jump_to_latest` brings them back). Returns 0 at once
        while another load runs, and when the loader has nothing more.
        """
        if self._loading or self._exhausted:
            return 0
        before = next((e.message.seq for e in self._entries if e.message.seq is not None), None)
        if before is None:
            return 0
        self._loading = True
        generation = self._generation
        try:
            older = await self._loader(before, self._page)
        finally:
            self._loading = False
        async with self._lock:
            if generation != self._generation or not self._entries:
                return 0
            top, known = self._entries[0].key, self._by_id.keys() | self._held.keys()
            fresh = [m for m in _ordered(older) if m.id not in known and _key(m) < top]
            fresh = fresh[-self._window :]
            if not fresh:
                self._exhausted = True
                return 0
            for message in fresh:
                self._track(message)
            self._insert(fresh)
            self._trim(top=False)
            await self._settle()
        return len(fresh)

    async def jump_to_latest(self) -> None:
        """Scroll to the newest message, reloading the newest page when it is not mounted."""
        self._set_selected(None)
        if not self._bottom_gap:
            self._set_unseen(0)
            self.scroll_end(animate=False)
            return
        known: dict[int, Message] = dict(self._held)
        try:
            newest = self._newest_seq
            page = await self._loader(newest + 1, self._page) if newest is not None else []
        except Exception as error:
            self.log.error(f"chat view: loading the newest page failed: {error!r}")
            page = [] if self._bottom_pruned else self.shown
        merged = {m.id: m for m in page}
        for message in [*known.values(), *self._pending.values()]:
            merged.setdefault(message.id, message)
        await self.show(list(merged.values()))

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Let r and escape through to the app unless they mean something here."""
        if action == "retry":
            return self._selected is not None and self._selected.bubble.failed
        if action in ("clear_selection", "act", "toggle_mark", "menu"):
            return self._selected is not None
        if action == "forward":
            return self._selected is not None or bool(self._marked)
        return True

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

    def on_bubble_selected(self, event: Bubble.Selected) -> None:
        """A click selects the bubble."""
        event.stop()
        entry = self._by_id.get(event.source.message.id)
        if entry is not None and entry.bubble is event.source:
            self._set_selected(entry)
            self.focus()

    async def on_new_messages_bar_clicked(self, event: NewMessagesBar.Clicked) -> None:
        """The bar jumps to the newest messages."""
        event.stop()
        await self.jump_to_latest()

    def on_bubble_retry_requested(self, event: Bubble.RetryRequested) -> None:
        """Turn a bubble's retry request into :class:`RetryRequested`."""
        event.stop()
        self.post_message(self.RetryRequested(event.message))

    # ------------------------------------------------------------------ Textual hooks

    def compose(self) -> ComposeResult:
        """The "new messages" bar; bubbles are mounted by :meth:`show`."""
        yield self._bar

    def on_mount(self) -> None:
        """Stay at the bottom as content grows, until the user scrolls up."""
        self.anchor()
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, theme: object) -> None:
        # Bubbles take their colours from the theme when they render.
        for entry in self._entries:
            entry.bubble.refresh()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Load older messages near the top; clear the bar at the bottom."""
        super().watch_scroll_y(old_value, new_value)
        near_top = max(1, self.scrollable_content_region.height // 2)
        if (
            new_value < old_value
            and new_value <= near_top
            and self._entries
            and not (self._loading or self._exhausted)
        ):
            self.post_message(self.NearTop())
            self.run_worker(self._auto_load_older(), group="chat-view-older", exit_on_error=False)
        if self._unseen and not self._bottom_gap and new_value >= self.max_scroll_y:
            self._set_unseen(0)

    def arrange(self, size: Size, optimal: bool = False) -> DockArrangeResult:
        """Arrange children, keeping the first visible one where it was on screen.

        Content inserted or removed above the viewport (an older page) would otherwise
        move what the user reads. This runs during layout, before anything is drawn, so
        nothing jumps; when anchored to the bottom, Textual's anchoring wins afterwards.
        """
        result = super().arrange(size, optimal)
        if optimal:
            return result
        previous, self._arrangement = self._arrangement, result
        if previous is not None and previous is not result:
            self._keep_scroll_position(previous, result)
        return result

    # ------------------------------------------------------------------ internals

    def _own(self, message: Message) -> bool:
        return message.direction == Direction.SENT or message.sender == self._me

    def _track(self, message: Message) -> None:
        if message.seq is None:
            self._pending[message.id] = message
            return
        self._pending.pop(message.id, None)
        if self._newest_seq is None or message.seq > self._newest_seq:
            self._newest_seq = message.seq

    async def _auto_load_older(self) -> None:
        try:
            await self.load_older()
        except Exception as error:
            self.log.error(f"chat view: loading older messages failed: {error!r}")

    def _keep_scroll_position(self, previous: DockArrangeResult, result: DockArrangeResult) -> None:
        top = self.scroll_y
        now = {p.widget: p.region.y for p in result.placements if not p.fixed}
        for placement in previous.placements:
            new_y = now.get(placement.widget)
            if placement.fixed or placement.region.bottom <= top or new_y is None:
                continue
            if delta := new_y - placement.region.y:
                scroll_y = max(0.0, top + delta)
                self.set_reactive(Widget.scroll_y, scroll_y)
                self.set_reactive(Widget.scroll_target_y, scroll_y)
                if self.show_vertical_scrollbar:
                    self.vertical_scrollbar.position = scroll_y
            return

    def _decorate(self, previous: _Entry | None, entry: _Entry) -> None:
        """Set the dividers above ``entry`` and whether its sender shows."""
        before = previous.message if previous is not None else None
        unread = entry.message.id == self._unread_id
        dividers = divider_spec(before, entry.message, unread=unread)
        entry.bubble.dividers = dividers
        entry.bubble.show_sender = self._show_senders and (
            before is None
            or before.sender != entry.message.sender
            or bool(dividers)
            or isinstance(previous.bubble if previous else None, NoticeBubble)
        )

    def _refresh_at(self, index: int) -> None:
        """Recompute the dividers of one entry from its neighbour above."""
        if 0 <= index < len(self._entries):
            previous = self._entries[index - 1] if index > 0 else None
            self._decorate(previous, self._entries[index])

    def _insert(self, messages: list[Message]) -> None:
        """Mount sorted, not yet shown messages where they belong (one mount per run)."""
        runs: dict[int, list[Message]] = {}
        keys = [entry.key for entry in self._entries]
        for message in messages:
            runs.setdefault(bisect_left(keys, _key(message)), []).append(message)
        for index in sorted(runs, reverse=True):
            previous = self._entries[index - 1] if index > 0 else None
            batch: list[_Entry] = []
            for message in runs[index]:
                bubble = bubble_for(message, me=self._me, show_sender=self._show_senders)
                entry = _Entry(message=message, key=_key(message), bubble=bubble)
                self._decorate(previous, entry)
                batch.append(entry)
                previous = entry
            bubbles = [entry.bubble for entry in batch]
            self._bubbles_made(bubbles)
            before = self._entries[index].bubble if index < len(self._entries) else None
            self._dom_work.append(self.mount_all(bubbles, before=before))
            self._entries[index:index] = batch
            self._by_id.update((entry.message.id, entry) for entry in batch)
            self._refresh_at(index + len(batch))

    def _remove(self, entries: list[_Entry]) -> None:
        for entry in entries:
            self._by_id.pop(entry.message.id, None)
            if entry is self._selected:
                self._selected = None
        self._dom_work.append(self.remove_children([entry.bubble for entry in entries]))

    async def _settle(self) -> None:
        """Wait for the mounts and removals made since the last call.

        They are all started before the first wait, so the screen lays out once.
        """
        work, self._dom_work = self._dom_work, []
        for awaitable in work:
            await awaitable

    def _trim(self, *, top: bool) -> None:
        """Unmount the entries beyond the window at the top or at the bottom."""
        excess = len(self._entries) - self._window
        if excess <= 0:
            return
        if top:
            gone, self._entries = self._entries[:excess], self._entries[excess:]
        else:
            gone, self._entries = self._entries[-excess:], self._entries[:-excess]
        self._remove(gone)
        if top:
            self._exhausted = False
            self._refresh_at(0)
        else:
            self._bottom_gap = self._bottom_pruned = True
            self._set_unseen(self._unseen)

    def _update_entry(self, entry: _Entry, message: Message) -> None:
        previous = entry.message
        entry.message = message
        if message.object_name != previous.object_name:
            bubble = bubble_for(message, me=self._me, show_sender=entry.bubble.show_sender)
            bubble.dividers = entry.bubble.dividers
            bubble.selected = entry is self._selected
            self._bubbles_made([bubble])
            self.mount(bubble, before=entry.bubble)
            entry.bubble.remove()
            entry.bubble = bubble
        else:
            entry.bubble.update_message(message)
        key = _key(message)
        if key != entry.key:
            entry.key = key
            index = self._entries.index(entry)
            if (index > 0 and self._entries[index - 1].key > key) or (
                index + 1 < len(self._entries) and self._entries[index + 1].key < key
            ):
                self._reposition(entry)
                return
        if message.sent_at != previous.sent_at:
            index = self._entries.index(entry)
            self._refresh_at(index)
            self._refresh_at(index + 1)

    def _reposition(self, entry: _Entry) -> None:
        """Move an entry whose sort key changed (a late acknowledgement) into place."""
        self._entries.remove(entry)
        index = bisect_left([e.key for e in self._entries], entry.key)
        self._entries.insert(index, entry)
        if index + 1 < len(self._entries):
            self.move_child(entry.bubble, before=self._entries[index + 1].bubble)
        elif index > 0:
            self.move_child(entry.bubble, after=self._entries[index - 1].bubble)
        for position in range(len(self._entries)):
            self._refresh_at(position)

    def _set_selected(self, entry: _Entry | None) -> None:
        if self._selected is not None:
            self._selected.bubble.selected = False
        self._selected = entry
        if entry is not None:
            entry.bubble.selected = True
        self.refresh_bindings()

    def _step(self, delta: int) -> None:
        if not self._entries:
            return
        if self._selected is None:
            entry = self._last_visible()
        else:
            index = self._entries.index(self._selected) + delta
            entry = self._entries[max(0, min(index, len(self._entries) - 1))]
        self._set_selected(entry)
        self.scroll_to_widget(entry.bubble, animate=False)

    def _last_visible(self) -> _Entry:
        view = self.scrollable_content_region
        for entry in reversed(self._entries):
            if entry.bubble.region.overlaps(view):
                return entry
        return self._entries[-1]

    def _scroll_to_unread(self) -> None:
        entry = self._by_id.get(self._unread_id if self._unread_id is not None else -1)
        if entry is not None and entry.bubble.virtual_region.y < self.max_scroll_y:
            self.scroll_to_widget(entry.bubble, top=True, animate=False)

    def _set_unseen(self, count: int) -> None:
        self._unseen = count
        self._bar.show_count(count, newer=self._bottom_gap)
