"""A list of bubbles drawn as lines: nothing is mounted per message.

:class:`BubbleList` is a ``ScrollView`` with ``render_line`` (the way Textual's ``Log``
and our :class:`~imkit_tui.ui.widgets.conversation_list.ConversationList` work). It keeps
its entries (a message, its bubble, the height the bubble took) and draws only the lines
on screen from strips cached per bubble: a bubble is rendered at the list's width when
its height is needed or one of its lines is drawn, again after a resize, a theme change
or a change of that bubble (:meth:`~imkit_tui.ui.bubbles.Bubble.refresh`), and the strips
of only :data:`CACHE_ENTRIES` bubbles are kept (the least recently drawn go first;
heights stay). Adding a message costs one bubble's rendering, whatever the list holds.

The list is the bubbles' host (see :class:`~imkit_tui.ui.bubbles._host.BubbleHost`): it
delivers their messages (they bubble up from the list), runs their workers and timers,
and maps a click to the bubble and line under the pointer. The chat view builds on it;
the history viewer uses it as it is.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Coroutine, Iterable, Sequence
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from imkit_tui.ui.bubbles import Bubble
from imkit_tui.ui.widgets._chat_entries import Entry, sort_key

CACHE_ENTRIES = 200
"""Bubbles whose rendered strips are kept (the others keep only their height)."""

MARK_BAR = "▌"
"""Drawn in the left margin of a bubble marked for forwarding."""

_UNDRAWABLE = "(this message cannot be drawn)"


class BubbleList(ScrollView, can_focus=True):
    """Bubbles one under the other, each with a one-column margin either side.

    A bubble marked for forwarding (:attr:`~imkit_tui.ui.bubbles.Bubble.marked`) has
    a bar in its left margin and a tinted background (component class
    ``bubble-list--marked``). While the list follows its end (:meth:`anchor`; until
    the user scrolls up) new content is scrolled into view; otherwise what the user
    reads stays where it is on screen when bubbles above it come, go or change height.
    """

    DEFAULT_CSS = """
    BubbleList {
        height: 1fr;
    }
    BubbleList > .bubble-list--marked {
        color: $accent;
        background: $accent 10%;
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"bubble-list--marked"}

    ALIGN_BOTTOM: ClassVar[bool] = False
    """Whether bubbles that do not fill the list sit at its bottom (a chat) or its top."""

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        """Create an empty list (``name``, ``id`` and ``classes`` as for any widget)."""
        super().__init__(name=name, id=id, classes=classes)
        self._entries: list[Entry] = []
        self._by_id: dict[int, Entry] = {}
        self._measured: list[Entry] = []
        self._tops: list[int] = [0]
        self._index: dict[Entry, int] = {}
        self._strips: OrderedDict[Entry, list[Strip]] = OrderedDict()
        self._width = 0
        self._follow = False
        self._drawing: Bubble | None = None
        self._relayout_pending = False
        self._changed: set[Entry] = set()

    # ------------------------------------------------------------------ public API

    def set_bubbles(self, bubbles: Iterable[Bubble]) -> None:
        """Show ``bubbles`` (in this order) instead of what was shown."""
        self._release(self._entries)
        self._expect_new_content()
        self._entries = [Entry(b.message, sort_key(b.message), b) for b in bubbles]
        self._by_id = {entry.message.id: entry for entry in self._entries}
        self._adopt(self._entries)
        self._relayout()

    def bubbles(self) -> list[Bubble]:
        """Every bubble in the list, in display order."""
        return [entry.bubble for entry in self._entries]

    def bubble_of(self, message_id: int) -> Bubble | None:
        """The bubble of a message, if the list has it."""
        entry = self._by_id.get(message_id)
        return entry.bubble if entry is not None else None

    @property
    def cached_count(self) -> int:
        """How many bubbles have their strips cached (at most :data:`CACHE_ENTRIES`)."""
        return len(self._strips)

    @property
    def following(self) -> bool:
        """Whether the list keeps its end in view as content grows."""
        return self._follow

    def anchor(self, anchor: bool = True) -> None:
        """Follow the end (True) or stop following it."""
        self._follow = anchor

    def release_anchor(self) -> None:
        """Stop following the end (the user reads something above it)."""
        self._follow = False

    def region_of(self, bubble: Bubble) -> Region | None:
        """Where ``bubble`` is in the list's virtual space (lines), if it is there."""
        entry = self._by_id.get(bubble.message.id)
        index = self._index.get(entry) if entry is not None else None
        if entry is None or index is None:
            return None
        return Region(0, self._tops[index], self._width, entry.height)

    def scroll_to_bubble(self, bubble: Bubble, *, center: bool = False, top: bool = False) -> None:
        """Scroll ``bubble`` into view (to the middle with ``center``, the top with
        ``top``, else by the least distance); the list stops following its end."""
        region = self.region_of(bubble)
        if region is None:
            return
        self.release_anchor()
        view = self.scrollable_content_region.height
        y = float(self.scroll_offset.y)
        if top:
            y = region.y
        elif center:
            y = region.y + region.height / 2 - view / 2
        elif region.y < y or region.height > view:
            y = region.y
        elif region.bottom > y + view:
            y = region.bottom - view
        self.scroll_to(y=max(0, round(y)), animate=False, force=True)

    @property
    def blank_above(self) -> int:
        """Lines left blank above the bubbles: bubbles that do not fill a list with
        :attr:`ALIGN_BOTTOM` sit at its bottom."""
        if not self.ALIGN_BOTTOM:
            return 0
        return max(0, self.scrollable_content_region.height - self._tops[-1])

    def bubble_at(self, y: int) -> tuple[Bubble, int] | None:
        """The bubble on line ``y`` of the visible area and the line of it there."""
        located = self._locate(self._virtual_line(y))
        return (located[0].bubble, located[1]) if located is not None else None

    def visible_bubbles(self) -> list[Bubble]:
        """The bubbles with a line on screen now, top to bottom."""
        top = self.scroll_offset.y
        bottom = top + self.scrollable_content_region.height
        first = max(0, bisect_right(self._tops, top) - 1)
        shown: list[Bubble] = []
        for index in range(first, len(self._measured)):
            if self._tops[index] >= bottom:
                break
            if self._measured[index].height:
                shown.append(self._measured[index].bubble)
        return shown

    def lines_of(self, bubble: Bubble) -> list[Strip]:
        """The strips ``bubble`` is drawn as at the list's width (rendered if needed)."""
        entry = self._by_id.get(bubble.message.id)
        if entry is None or not self._width:
            return []
        return [strip.apply_style(self.rich_style) for strip in self._strips_of(entry)]

    # ------------------------------------------------------------------ the bubbles' host

    def bubble_changed(self, bubble: Bubble) -> None:
        """Draw ``bubble`` again soon: only its lines when its height stays the same (an
        animation frame, a progress bar), else everything below it moves."""
        entry = self._by_id.get(bubble.message.id)
        if entry is None or entry.bubble is not bubble or self._drawing is bubble:
            return
        self._strips.pop(entry, None)
        self._changed.add(entry)
        if not self._relayout_pending:
            self._relayout_pending = True
            self.call_later(self._deferred_relayout)

    def bubble_height(self, bubble: Bubble) -> int:
        """Lines ``bubble`` took when last measured (0 before, or when it is not here)."""
        entry = self._by_id.get(bubble.message.id)
        if entry is None or entry.bubble is not bubble:
            return 0
        return max(entry.height, 0)

    def bubble_visible(self, bubble: Bubble) -> bool:
        """Whether some line of ``bubble`` is on screen now."""
        if not self.is_mounted or not self.display or not self.region:
            return False
        try:
            if not self.screen.is_current:
                return False
        except Exception:
            return False
        region = self.region_of(bubble)
        if region is None or not region.height:
            return False
        top = self.scroll_offset.y
        return region.y < top + self.scrollable_content_region.height and region.bottom > top

    def run_bubble_worker(
        self, bubble: Bubble, work: Coroutine[Any, Any, None], group: str, exclusive: bool
    ) -> None:
        """Run ``work`` for ``bubble`` in a worker of the list (its own group)."""
        self.run_worker(
            work, group=f"bubble-{id(bubble)}-{group}", exclusive=exclusive, exit_on_error=False
        )

    # ------------------------------------------------------------------ Textual hooks

    def on_mount(self) -> None:
        """Attach the bubbles given before the list was mounted; follow theme changes and
        draw again after a suspension (the terminal lost its pictures: kitty ones are
        sent again as they are drawn)."""
        self._adopt(self._entries)
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self.app.app_resume_signal.subscribe(self, self._resumed)

    def on_unmount(self) -> None:
        """Detach every bubble (their timers stop)."""
        for entry in self._entries:
            entry.bubble.detach()

    def on_resize(self, event: events.Resize) -> None:
        """Draw the bubbles again at a new width."""
        self._relayout()

    def on_click(self, event: events.Click) -> None:
        """Hand a click to the bubble under the pointer, with its line and style."""
        located = self._under_pointer(event)
        if located is None:
            return
        event.stop()
        entry, row = located
        entry.bubble.click(event.button, row, event.style)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        """Show the tooltip of the bubble under the pointer (how to retry a failed one)."""
        located = self._under_pointer(event)
        tip = located[0].bubble.tooltip if located is not None else None
        if tip != self.tooltip:
            self.tooltip = tip

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Follow the end again once the user scrolls back to it; stop when they leave it."""
        super().watch_scroll_y(old_value, new_value)
        if new_value >= self.max_scroll_y:
            self._follow = True
        elif new_value < old_value:
            self._follow = False

    def render_line(self, y: int) -> Strip:
        """Draw line ``y`` of the visible area from the cached strips of its bubble."""
        scroll_x = self.scroll_offset.x
        width = self.scrollable_content_region.width
        located = self._locate(self._virtual_line(y))
        if located is None:
            return Strip.blank(width, self.rich_style)
        entry, row = located
        strips = self._strips_of(entry)
        if row >= len(strips):
            return Strip.blank(width, self.rich_style)
        return (
            strips[row].crop_extend(scroll_x, scroll_x + width, None).apply_style(self.rich_style)
        )

    def redraw(self) -> None:
        """Draw every bubble again: something they show changed (a sender's name)."""
        self._forget_drawings()
        self._relayout()

    # ------------------------------------------------------------------ internals

    def _theme_changed(self, theme: object) -> None:
        self._forget_drawings()
        self._relayout()

    def _expect_new_content(self) -> None:
        """Measure the next content with the scrollbar first (new content usually
        overflows; measured at the whole width, it would be measured twice)."""
        self._width = 0

    def _resumed(self, app: object) -> None:
        self._strips.clear()
        self.refresh()

    def _forget_drawings(self) -> None:
        self._strips.clear()
        for entry in self._entries:
            entry.height = -1

    def _adopt(self, entries: Sequence[Entry]) -> None:
        """Become the host of new entries' bubbles (once the list is in the DOM)."""
        if not self.is_attached:
            return
        for entry in entries:
            if entry.bubble.host is not self:
                entry.bubble.attach(self)

    def _release(self, entries: Sequence[Entry]) -> None:
        """Forget entries taken out of the list (their bubbles are detached)."""
        for entry in entries:
            self._strips.pop(entry, None)
            self._changed.discard(entry)
            if entry.bubble.host is self:
                entry.bubble.detach()

    def _deferred_relayout(self) -> None:
        self._relayout_pending = False
        changed, self._changed = self._changed, set()
        lines: list[tuple[int, int]] = []
        for entry in changed:
            index = self._index.get(entry)
            if index is None or not self._width or entry.height < 0:
                self._relayout()
                return
            if len(self._strips_of(entry)) != entry.height:
                entry.height = -1
                self._relayout()
                return
            lines.append((self._tops[index], entry.height))
        for top, height in lines:
            self.refresh_lines(top + self.blank_above, height)

    def _under_pointer(self, event: events.MouseEvent) -> tuple[Entry, int] | None:
        """The entry under the mouse pointer and the line of it there."""
        offset = event.get_content_offset(self)
        return self._locate(self._virtual_line(offset.y)) if offset is not None else None

    def _virtual_line(self, y: int) -> int:
        """The line of the bubbles shown on line ``y`` of the visible area."""
        return int(self.scroll_offset.y) + y - self.blank_above

    def _locate(self, line: int) -> tuple[Entry, int] | None:
        """The entry on virtual line ``line`` and the line of it there."""
        if line < 0:
            return None
        index = bisect_right(self._tops, line) - 1
        if not 0 <= index < len(self._measured):
            return None
        return self._measured[index], line - self._tops[index]

    def _first_visible(self) -> tuple[Entry, int] | None:
        """The entry at the top of the view and how far the view is into it."""
        return self._locate(int(self.scroll_offset.y))

    def _relayout(self) -> None:
        """Measure what changed, then keep the end in view (following) or keep the line
        at the top of the view where it was."""
        wide, height = self.content_region.size
        if wide <= 2:
            return
        held = None if self._follow else self._first_visible()
        # Measured at the width left once the scrollbar shows (when the bubbles overflow),
        # so its appearing later does not draw everything again.
        bar = min(self.styles.scrollbar_size_vertical, wide - 3)
        # Measured with the scrollbar first (a long chat is measured once) unless the
        # bubbles fitted at the whole width and still may (a short chat is cheap).
        least = sum(max(1, entry.height) for entry in self._entries)
        width = wide if self._width == wide and least <= height else wide - bar
        for _ in range(2):
            if width != self._width:
                self._width = width
                self._forget_drawings()
            self._measure()
            width = wide - bar if self._tops[-1] > height else wide
            if width == self._width:
                break
        if self._follow:
            self._scroll_quietly(self.max_scroll_y)
        elif held is not None and held[0] in self._index:
            entry, into = held
            self._scroll_quietly(self._tops[self._index[entry]] + min(into, entry.height))
        self.refresh()

    def _measure(self) -> None:
        """Render the entries whose height is unknown; update offsets and virtual size."""
        tops, total = [], 0
        for entry in self._entries:
            tops.append(total)
            if entry.height < 0 or entry in self._changed:
                entry.height = len(self._strips_of(entry))
            total += entry.height
        tops.append(total)
        self._changed.clear()
        self._measured = list(self._entries)
        self._tops = tops
        self._index = {entry: index for index, entry in enumerate(self._measured)}
        self.virtual_size = Size(self._width, total)

    def _scroll_quietly(self, y: float) -> None:
        """Scroll to ``y`` without counting it as the user's scroll."""
        y = max(0.0, min(float(y), float(self.max_scroll_y)))
        self.set_reactive(ScrollView.scroll_y, y)
        self.set_reactive(ScrollView.scroll_target_y, y)
        if self.show_vertical_scrollbar:
            self.vertical_scrollbar.position = y

    def _strips_of(self, entry: Entry) -> list[Strip]:
        strips = self._strips.get(entry)
        if strips is not None:
            self._strips.move_to_end(entry)
            return strips
        strips = self._draw(entry)
        self._strips[entry] = strips
        while len(self._strips) > CACHE_ENTRIES:
            self._strips.popitem(last=False)
        return strips

    def _draw(self, entry: Entry) -> list[Strip]:
        """Render ``entry``'s bubble at the list's width, one column of margin each side."""
        width = max(3, self._width)
        console = self.app.console
        options = console.options.update_width(width - 2).reset_height()
        bubble = self._drawing = entry.bubble
        try:
            lines = console.render_lines(bubble.render(), options, pad=True)
        except Exception as error:
            self.log.error(f"bubble list: drawing {type(bubble).__name__} failed: {error!r}")
            lines = [Segment.adjust_line_length([Segment(_UNDRAWABLE)], width - 2)]
        finally:
            self._drawing = None
        left, tint = Segment(" "), None
        if bubble.marked:
            marked = self.get_component_rich_style("bubble-list--marked")
            left = Segment(MARK_BAR, Style(color=marked.color))
            tint = Style(bgcolor=marked.bgcolor)
        strips = [Strip([left, *line, Segment(" ")], width) for line in lines]
        if tint is not None:
            strips = [strip.apply_style(tint) for strip in strips]
        return strips
