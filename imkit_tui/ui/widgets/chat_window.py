"""The chat window: one conversation's messages as bubbles, drawn as lines, paged.

The window is a :class:`~imkit_tui.ui.widgets.bubble_list.BubbleList`: nothing is mounted
per message, only the lines on screen are drawn, from strips cached for the bubbles near
the viewport. It keeps lightweight records (a message, its bubble object, its height)
for at most ``window`` messages, pages older ones in through a loader as the user
scrolls up and newer ones as they scroll back down (dropping records at the far end), so
any length of history scrolls through. While the user reads far up, new arrivals are
counted in a "N new messages ↓" bar below the view; at the bottom, every new message
(own or not) is followed fully into view. :class:`~imkit_tui.ui.widgets.chat_view.ChatView`
adds the keys and actions on it.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Required, TypedDict

from textual.message import Message as TextualMessage
from textual.widget import Widget

from imkit_tui.core import Direction, Message
from imkit_tui.ui.bubbles import Bubble, bubble_for
from imkit_tui.ui.bubbles.divider import NewMessagesBar
from imkit_tui.ui.widgets import _chat_entries as chat_entries
from imkit_tui.ui.widgets._chat_entries import Entry as _Entry
from imkit_tui.ui.widgets.bubble_list import BubbleList

Loader = Callable[[int, int], Awaitable[list[Message]]]
"""``(before_seq, limit)`` → up to ``limit`` messages with a seq below ``before_seq``,
oldest first; ``[]`` when there are no more."""


class WindowOptions(TypedDict, total=False):
    """The keyword arguments of :class:`ChatWindow` (for subclasses that pass them on)."""

    me: Required[str]
    loader: Required[Loader]
    show_senders: bool
    window: int
    page: int
    name: str | None
    id: str | None
    classes: str | None


BubbleHook = Callable[[list[Bubble]], None]
"""Called with bubbles the view just created (to fetch their media lazily)."""


class ChatWindow(BubbleList):
    """One conversation as bubbles drawn as lines, with at most ``window`` of them held.

    Between bubbles: a date divider when the day changes and a "New messages" divider
    before the first unread message. Consecutive messages of one sender within five
    minutes form a run: one head (name in groups, time) over others' runs, one status
    line under own ones; a selected message shows its own time and status.

    Scrolling near the top loads an older page; near the end, when newer messages were
    dropped, a newer one. One message may be selected (it shows its own time and status).
    """

    ALIGN_BOTTOM = True

    class NearTop(TextualMessage, namespace="chat_view"):
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
            window: The most messages held at once (records; strips are cached for
                fewer, near the viewport).
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
        self._peer_read_seq = 0
        self.on_new_bubbles: BubbleHook | None = None
        """Called with every batch of bubbles the view creates (set by the screen)."""
        self._unseen = 0
        self._bottom_gap = self._bottom_pruned = self._exhausted = self._loading = False
        self._generation = 0
        self._lock = asyncio.Lock()
        self._bar = NewMessagesBar(self)
        self.anchor()

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
    def held_count(self) -> int:
        """How many messages the view holds (never more than ``window``)."""
        return len(self._entries)

    @property
    def at_bottom(self) -> bool:
        """Whether the newest messages are held and followed: following the end (until
        the user scrolls up), or within a line of it."""
        if self._bottom_gap:
            return False
        return self.following or max(0, self.scroll_offset.y) >= self.max_scroll_y - 1

    @property
    def new_messages_bar(self) -> NewMessagesBar:
        """The "N new messages ↓" bar (mounted below the view, in its own row)."""
        return self._bar

    @property
    def shown(self) -> list[Message]:
        """The messages the view holds, in display order."""
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
        would be above the fold at the end. Only the newest ``window`` are held.
        """
        self._generation += 1
        ordered = chat_entries.ordered(messages)[-self._window :]
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
            self._expect_new_content()
            self._insert(ordered)
            self.anchor()
            self._relayout()
        self._set_unseen(self._unseen)
        if self._unread_id is not None:
            self._scroll_to_unread()

    async def add(self, messages: Sequence[Message]) -> None:
        """Add new messages at the bottom.

        Ids already shown are updated in place. At the end of the view the new ones are
        drawn and scrolled to; further up they are counted in the "new messages" bar
        (and not held when the window has no room or newer ones are missing below).
        A message this device is sending (own, no seq yet) always brings the view to
        the latest.
        """
        jump = False
        async with self._lock:
            fresh: list[Message] = []
            for message in chat_entries.ordered(messages):
                self._track(message)
                entry = self._by_id.get(message.id)
                if entry is not None:
                    self._update_entry(entry, message)
                elif message.id in self._held:
                    self._held[message.id] = message
                else:
                    fresh.append(message)
            first = self._entries[0] if self._entries else None
            if (
                first is not None
                and not self._exhausted
                and not chat_entries.pending(first.message)
            ):
                # Older than the window's top: paging up will bring them. (A top still
                # sending sorts after every stored message: then none is above.)
                fresh = [m for m in fresh if chat_entries.sort_key(m) > first.key]
            if not fresh:
                return
            sending = any(self._own(m) and chat_entries.pending(m) for m in fresh)
            counted = sum(1 for m in fresh if not self._own(m))
            if self.at_bottom or (sending and not self._bottom_gap):
                self._insert(fresh[-self._window :])
                self._trim(top=True)
                self.anchor()
                self._relayout()
                self._set_unseen(0)
            elif not self._bottom_gap and len(self._entries) + len(fresh) <= self._window:
                self._insert(fresh)
                self._relayout()
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

        The visible content stays where it is. When the window is full, messages at the
        bottom are dropped (scrolling down or :meth:`jump_to_latest` brings them back).
        Returns 0 at once
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
            fresh = [
                m
                for m in chat_entries.ordered(older)
                if m.id not in known and chat_entries.sort_key(m) < top
            ]
            fresh = fresh[-self._window :]
            if not fresh:
                self._exhausted = True
                return 0
            for message in fresh:
                self._track(message)
            self._insert(fresh)
            self._trim(top=False)
            self._relayout()
        return len(fresh)

    async def load_newer(self) -> int:
        """Load one page below the newest held message when newer ones were dropped (or
        never loaded); return how many were added. When the page reaches the newest
        messages, the ones held back while the user read above join and the view is
        whole again. The visible content stays where it is."""
        if self._loading or not self._bottom_gap or not self._entries:
            return 0
        last = next(
            (e.message.seq for e in reversed(self._entries) if e.message.seq is not None), None
        )
        if last is None:
            return 0
        self._loading = True
        generation = self._generation
        try:
            newer = await self._loader(last + self._page + 1, self._page)
        finally:
            self._loading = False
        async with self._lock:
            if generation != self._generation or not self._entries:
                return 0
            bottom, known = self._entries[-1].key, self._by_id.keys()
            fresh = [
                m
                for m in chat_entries.ordered(newer)
                if m.id not in known and chat_entries.sort_key(m) > bottom
            ]
            newest = max((m.seq for m in fresh if m.seq is not None), default=last + self._page)
            if self._newest_seq is None or newest >= self._newest_seq:
                waiting = [*self._held.values(), *self._pending.values()]
                fresh = [m for m in chat_entries.ordered([*fresh, *waiting]) if m.id not in known]
                self._held.clear()
                self._bottom_gap = self._bottom_pruned = False
            for message in fresh:
                self._track(message)
            self._insert(fresh)
            self._trim(top=True)
            self._set_unseen(self._unseen)
            self._relayout()
        return len(fresh)

    async def jump_to_latest(self) -> None:
        """Scroll to the newest message, reloading the newest page when it is not held."""
        self._set_selected(None)
        if not self._bottom_gap:
            self._set_unseen(0)
            self.anchor()
            self._relayout()
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

    async def on_new_messages_bar_clicked(self, event: NewMessagesBar.Clicked) -> None:
        """The bar jumps to the newest messages."""
        event.stop()
        await self.jump_to_latest()

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

    def _scroll_to_selected(self) -> None:
        entry = self._selected
        if entry is None:
            return
        self._relayout()
        self.scroll_to_bubble(entry.bubble, center=True)

    def remove_messages(self, message_ids: Iterable[int]) -> None:
        """Take deleted messages out of the view (the dividers around them are redone)."""
        gone_ids = {i for i in message_ids if i in self._by_id}
        if not gone_ids:
            return
        gone = [self._by_id[i] for i in gone_ids]
        self._entries[:] = [e for e in self._entries if e.message.id not in gone_ids]
        self._remove(gone)
        previous = None
        for entry in self._entries:
            self._decorate(previous, entry)
            previous = entry
        if previous is not None:
            previous.bubble.run_tail = True
        self._relayout()

    def show_peer_read(self, read_seq: int) -> None:
        """Mark own messages up to ``read_seq`` as read by the peer (private chats)."""
        self._peer_read_seq = read_seq
        for entry in self._entries:
            self._show_read(entry.bubble)

    def _show_read(self, bubble: Bubble) -> None:
        seq = bubble.message.seq
        bubble.peer_read = bubble.own and seq is not None and seq <= self._peer_read_seq

    def _bubbles_made(self, made: list[Bubble]) -> None:
        """Show read receipts on new bubbles and hand them to :attr:`on_new_bubbles`."""
        for bubble in made:
            if self._peer_read_seq:
                self._show_read(bubble)
        hook = self.on_new_bubbles
        if hook is not None and made:
            try:
                hook(made)
            except Exception as error:
                self.log.error(f"chat view: the new-bubble hook failed: {error!r}")

    # ------------------------------------------------------------------ Textual hooks

    def on_mount(self) -> None:
        """The bar goes in a row below the view."""
        if isinstance(self.parent, Widget):
            self.parent.mount(self._bar, after=self)

    def on_unmount(self) -> None:
        """The bar goes with the view."""
        if self._bar.is_attached:
            self._bar.remove()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Load older messages near the top, newer ones near a dropped end; clear the bar.

        With newer messages dropped below, the end of what is held is not followed."""
        super().watch_scroll_y(old_value, new_value)
        if self._bottom_gap:
            self.release_anchor()
        near = max(1, self.scrollable_content_region.height // 2)
        idle = self._entries and not self._loading
        older = new_value < old_value and new_value <= near and not self._exhausted
        newer = new_value > old_value and new_value >= self.max_scroll_y - near and self._bottom_gap
        if idle and (older or newer):
            if older:
                self.post_message(self.NearTop())
            work = self._auto_load(older=older)
            self.run_worker(work, group="chat-view-page", exit_on_error=False)
        if self._unseen and not self._bottom_gap and new_value >= self.max_scroll_y:
            self._set_unseen(0)

    # ------------------------------------------------------------------ internals

    def _own(self, message: Message) -> bool:
        return message.direction == Direction.SENT or message.sender == self._me

    def _track(self, message: Message) -> None:
        if chat_entries.pending(message):
            self._pending[message.id] = message
            return
        self._pending.pop(message.id, None)
        if message.seq is None:  # failed, in its place among the stored
            return
        if self._newest_seq is None or message.seq > self._newest_seq:
            self._newest_seq = message.seq

    async def _auto_load(self, *, older: bool) -> None:
        try:
            await (self.load_older() if older else self.load_newer())
        except Exception as error:
            self.log.error(f"chat view: loading a page failed: {error!r}")

    def _decorate(self, previous: _Entry | None, entry: _Entry) -> None:
        """Set the dividers above ``entry`` and the run it belongs to."""
        unread = entry.message.id == self._unread_id
        chat_entries.decorate(previous, entry, unread=unread, show_senders=self._show_senders)

    def _refresh_at(self, index: int) -> None:
        """Recompute the dividers and run of one entry from its neighbours."""
        chat_entries.redecorate(self._entries, index, self._decorate)

    def _insert(self, messages: list[Message]) -> None:
        """Add sorted, not yet shown messages where they belong (one splice per run)."""
        runs: dict[int, list[Message]] = {}
        keys = [entry.key for entry in self._entries]
        for message in messages:
            runs.setdefault(bisect_left(keys, chat_entries.sort_key(message)), []).append(message)
        for index in sorted(runs, reverse=True):
            previous = self._entries[index - 1] if index > 0 else None
            batch: list[_Entry] = []
            for message in runs[index]:
                bubble = bubble_for(message, me=self._me, show_sender=self._show_senders)
                entry = _Entry(message=message, key=chat_entries.sort_key(message), bubble=bubble)
                self._decorate(previous, entry)
                batch.append(entry)
                previous = entry
            self._bubbles_made([entry.bubble for entry in batch])
            self._entries[index:index] = batch
            self._by_id.update((entry.message.id, entry) for entry in batch)
            self._adopt(batch)
            if index + len(batch) < len(self._entries):
                self._refresh_at(index + len(batch))
            else:
                batch[-1].bubble.run_tail = True

    def _remove(self, entries: list[_Entry]) -> None:
        for entry in entries:
            self._by_id.pop(entry.message.id, None)
            if entry is self._selected:
                self._selected = None
        self._release(entries)

    def _trim(self, *, top: bool) -> None:
        """Drop the entries beyond the window at the top or at the bottom."""
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
            self._refresh_at(len(self._entries) - 1)

    def _update_entry(self, entry: _Entry, message: Message) -> None:
        previous = entry.message
        entry.message = message
        if message.object_name != previous.object_name:
            old = entry.bubble
            bubble = bubble_for(message, me=self._me, show_sender=old.show_sender)
            bubble.dividers = old.dividers
            bubble.run_head, bubble.run_tail = old.run_head, old.run_tail
            bubble.selected = entry is self._selected
            self._bubbles_made([bubble])
            self._release([entry])
            entry.bubble = bubble
            self._adopt([entry])
            self.bubble_changed(bubble)
        else:
            entry.bubble.update_message(message)
        key = chat_entries.sort_key(message)
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
        for position in range(len(self._entries)):
            self._refresh_at(position)
        self._relayout()

    def _set_selected(self, entry: _Entry | None) -> None:
        if self._selected is not None:
            self._selected.bubble.selected = False
        self._selected = entry
        if entry is not None:
            entry.bubble.selected = True
        self.refresh_bindings()

    def _scroll_to_unread(self) -> None:
        entry = self._by_id.get(self._unread_id if self._unread_id is not None else -1)
        region = self.region_of(entry.bubble) if entry is not None else None
        if entry is not None and region is not None and region.y < self.max_scroll_y:
            self.scroll_to_bubble(entry.bubble, top=True)

    def _set_unseen(self, count: int) -> None:
        self._unseen = count
        self._bar.show_count(count, newer=self._bottom_gap)
