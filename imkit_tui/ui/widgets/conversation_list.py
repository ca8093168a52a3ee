"""The conversation list: the left pane of the main screen.

A Line-API widget: it keeps plain `Conversation` values and draws only the rows on screen,
so a list of 10,000 conversations costs no more to draw than a list of ten.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from typing import ClassVar, overload

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.await_remove import AwaitRemove
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from imkit_tui.core.models import Conversation
from imkit_tui.protocol import ConvRef
from imkit_tui.ui.format import wrap_words
from imkit_tui.ui.widgets._conversation_rows import Pictures, RowPainter

__all__ = ["ConversationList"]

ROW_HEIGHT = 2
"""Lines per conversation."""

EMPTY_HINT = "No conversations yet — ctrl+n starts one"
"""What the list says while it is empty."""


def _rank(conversation: Conversation) -> tuple[bool, int]:
    """An ascending key for the list order: pinned first, then the newest `sort_at`."""
    return (not conversation.pinned, -conversation.sort_at)


def _default_name(ref: ConvRef) -> str:
    return ref.target


class _ListMessage(Message):
    """What the list's messages share: the list that posted them and the conversation."""

    def __init__(self, conversation_list: ConversationList, conv: ConvRef) -> None:
        super().__init__()
        self.conversation_list = conversation_list
        """The list that posted the message."""
        self.conv = conv
        """The conversation the message is about."""

    @property
    def control(self) -> ConversationList:
        """The list that posted the message (for `@on(..., selector)`)."""
        return self.conversation_list


class ConversationList(ScrollView, can_focus=True):
    """The list of conversations, two lines each, newest first, with a cursor.

    Line 1 holds the avatar, the name (📌 when pinned) and the time; line 2 "[@me]"
    while unread messages mention this user, the preview (or the draft), 🔕 when muted,
    and the unread badge.

    The list is ordered by the caller in `set_conversations` (normally the store's
    order: pinned first, then `sort_at`, newest first); `upsert` keeps that order by
    `Conversation.sort_key`. Whenever the list is not empty one conversation is
    highlighted; `Highlighted` is posted whenever the highlighted conversation changes
    and `Selected` on enter or a click. Keys: up/k, down/j, home, end, pageup, pagedown
    move the highlight; enter selects. The mouse wheel scrolls; a click selects.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Open"),
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("p", "screen.toggle_pin", "Pin", show=False),
        Binding("m", "screen.toggle_mute", "Mute", show=False),
        Binding("u", "screen.toggle_unread", "Unread", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "conversation-list--highlight",
        "conversation-list--pinned",
        "conversation-list--name",
        "conversation-list--time",
        "conversation-list--preview",
        "conversation-list--sender",
        "conversation-list--draft",
        "conversation-list--failed",
        "conversation-list--mention",
        "conversation-list--marker",
        "conversation-list--badge",
        "conversation-list--badge-muted",
        "conversation-list--empty",
    }
    """
    | Class | Description |
    | :- | :- |
    | `conversation-list--highlight` | The highlighted row (dimmer when the list is not focused). |
    | `conversation-list--pinned` | Rows of pinned conversations. |
    | `conversation-list--name` | The conversation's name. |
    | `conversation-list--time` | The time of the last message. |
    | `conversation-list--preview` | The last message's summary, or the draft text. |
    | `conversation-list--sender` | "sender: " before a group preview. |
    | `conversation-list--draft` | The "[Draft]" label. |
    | `conversation-list--failed` | "!" before a preview of an own message that failed. |
    | `conversation-list--mention` | "[@me]": unread messages mention this user. |
    | `conversation-list--marker` | The 📌 and 🔕 markers. |
    | `conversation-list--badge` | The unread badge. |
    | `conversation-list--badge-muted` | The unread badge of a muted conversation. |
    | `conversation-list--empty` | The hint shown when there are no conversations. |
    """

    DEFAULT_CSS = """
    ConversationList {
        width: 1fr;
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        background: $surface;
        color: $foreground;
        & > .conversation-list--highlight {
            background: $block-cursor-blurred-background;
        }
        &:focus > .conversation-list--highlight {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
        }
        & > .conversation-list--pinned {
            background: $foreground 4%;
        }
        & > .conversation-list--name {
            text-style: bold;
        }
        & > .conversation-list--time, & > .conversation-list--preview,
        & > .conversation-list--sender, & > .conversation-list--marker {
            color: $text-muted;
        }
        & > .conversation-list--draft {
            color: $text-error;
        }
        & > .conversation-list--mention, & > .conversation-list--failed {
            color: $error;
            text-style: bold;
        }
        & > .conversation-list--badge {
            background: $error;
            color: $text;
            text-style: bold;
        }
        & > .conversation-list--badge-muted {
            background: $foreground 20%;
            color: $text-muted;
            text-style: none;
        }
        & > .conversation-list--empty {
            color: $text-muted;
            text-style: italic;
        }
    }
    """

    class Selected(_ListMessage):
        """Posted when a conversation is chosen: enter on the highlight, or a click."""

    class Highlighted(_ListMessage):
        """Posted when the highlight moves to another conversation (by key, mouse or code)."""

    def __init__(
        self,
        *,
        names: Callable[[ConvRef], str] | None = None,
        me: str = "",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Create an empty list.

        Args:
            names: Maps a conversation to its display name; called only for visible rows,
                so it should be a cheap lookup. Also names group senders, through their
                private conversation (`ConvRef.private(sender)`). Default: `ref.target`.
            me: The user whose list it is: "You" before their own messages in groups.
            name: The widget's name.
            id: The widget's id.
            classes: The widget's CSS classes.
        """
        super().__init__(name=name, id=id, classes=classes)
        self._names: Callable[[ConvRef], str] = names or _default_name
        self._rows: list[Conversation] = []
        self._by_ref: dict[ConvRef, Conversation] = {}
        self._cursor: int | None = None
        self._announced: ConvRef | None = None
        self._unread = 0
        self._scroll_pending = False
        self._painter = RowPainter(self._style, self._names, me)

    def use_pictures(self, pictures: Pictures) -> None:
        """Draw `pictures` (a conversation's, when it has one) in the avatar tiles."""
        self._painter.pictures = pictures
        self.refresh()

    # -- the data ------------------------------------------------------------------------

    def __len__(self) -> int:
        """The number of conversations."""
        return len(self._rows)

    def __bool__(self) -> bool:
        """Always true: an empty list is still a widget (`__len__` would make it falsy)."""
        return True

    def get(self, conv: ConvRef) -> Conversation | None:
        """The conversation shown for `conv`, or None when it is not in the list."""
        return self._by_ref.get(conv)

    @property
    def highlighted(self) -> ConvRef | None:
        """The highlighted conversation; None only when the list is empty."""
        if self._cursor is None:
            return None
        return self._rows[self._cursor].ref

    @property
    def total_unread(self) -> int:
        """The sum of unread counts of the conversations that are not muted."""
        return self._unread

    def set_conversations(self, conversations: Sequence[Conversation]) -> None:
        """Replace every conversation, keeping the caller's order.

        The highlight stays on the same conversation when it is still there; otherwise it
        stays at the same position (clamped to the list). A conversation listed twice is
        kept once, at its first position.

        Args:
            conversations: The conversations, in the order to show them.
        """
        previous = self.highlighted
        rows = list(conversations)
        by_ref = {conversation.ref: conversation for conversation in rows}
        if len(by_ref) != len(rows):
            by_ref = {}
            for conversation in rows:
                by_ref.setdefault(conversation.ref, conversation)
            rows = list(by_ref.values())
        self._rows = rows
        self._by_ref = by_ref
        self._unread = sum(c.unread for c in rows if not c.muted and c.unread > 0)
        if not rows:
            self._cursor = None
        elif previous is not None and previous in by_ref:
            self._cursor = self._index_of(by_ref[previous])
        else:
            self._cursor = min(self._cursor or 0, len(rows) - 1)
        self._content_changed()

    def upsert(self, conversation: Conversation) -> None:
        """Insert a conversation or update it, moving it to its place by `sort_key`.

        A conversation whose sort key did not change keeps its position. One that moves,
        or is new, goes before the others with an equal key (the latest activity wins the
        tie); the order of all others is untouched. Costs O(n) at most: no re-sort.

        Args:
            conversation: The new state of the conversation.
        """
        rows = self._rows
        old = self._by_ref.get(conversation.ref)
        self._by_ref[conversation.ref] = conversation
        self._unread += self._counted(conversation) - (self._counted(old) if old else 0)
        cursor = self._cursor
        if old is not None:
            index = self._index_of(old)
            if _rank(old) == _rank(conversation):
                rows[index] = conversation
                self.refresh_lines(index * ROW_HEIGHT, ROW_HEIGHT)
                return
            del rows[index]
            moving = cursor == index
            if cursor is not None and cursor > index:
                cursor -= 1
        else:
            moving = False
        target = bisect_left(rows, _rank(conversation), key=_rank)
        rows.insert(target, conversation)
        if cursor is None or moving:
            cursor = target
        elif cursor >= target:
            cursor += 1
        self._cursor = cursor
        self._content_changed()

    @overload
    def remove(self) -> AwaitRemove:
        """Remove the widget itself from the DOM (as `Widget.remove`)."""

    @overload
    def remove(self, conv: ConvRef) -> None:
        """Remove one conversation from the list."""

    def remove(self, conv: ConvRef | None = None) -> AwaitRemove | None:
        """Remove a conversation; nothing happens when it is not in the list.

        When it was highlighted, the highlight moves to the conversation that takes its
        place (or the new last one). Without an argument this is `Widget.remove()`: the
        widget itself leaves the DOM.

        Args:
            conv: The conversation to remove.

        Returns:
            None when removing a conversation; Textual's awaitable when removing the widget.
        """
        if conv is None:
            return super().remove()
        old = self._by_ref.pop(conv, None)
        if old is None:
            return None
        self._unread -= self._counted(old)
        index = self._index_of(old)
        del self._rows[index]
        cursor = self._cursor
        if not self._rows:
            self._cursor = None
        elif cursor is not None and (cursor > index or cursor == len(self._rows)):
            self._cursor = cursor - 1
        self._content_changed()
        return None

    def highlight(self, conv: ConvRef) -> None:
        """Move the highlight to `conv` and scroll it into view (no-op when it is absent).

        Args:
            conv: The conversation to highlight.
        """
        conversation = self._by_ref.get(conv)
        if conversation is not None:
            self._move_cursor(self._index_of(conversation))

    @staticmethod
    def _counted(conversation: Conversation) -> int:
        """What a conversation adds to `total_unread`."""
        return 0 if conversation.muted else max(conversation.unread, 0)

    def _index_of(self, conversation: Conversation) -> int:
        """The position of a conversation object that is in the list."""
        rows = self._rows
        rank = _rank(conversation)
        index = bisect_left(rows, rank, key=_rank)
        while index < len(rows) and _rank(rows[index]) == rank:
            if rows[index] is conversation:
                return index
            index += 1
        # The caller's order in set_conversations need not be the sort order.
        for index, row in enumerate(rows):
            if row is conversation:
                return index
        raise LookupError(conversation.ref)

    def _content_changed(self) -> None:
        """Resize the virtual canvas, redraw, and announce a new highlight."""
        self.virtual_size = Size(0, len(self._rows) * ROW_HEIGHT)
        self.refresh()
        self._announce()

    def _announce(self) -> None:
        """Post `Highlighted` when the highlighted conversation is not the last one posted."""
        current = self.highlighted
        if current is not None and current != self._announced:
            self._announced = current
            self.post_message(self.Highlighted(self, current))
        elif current is None:
            self._announced = None

    # -- the cursor ----------------------------------------------------------------------

    def _move_cursor(self, index: int) -> None:
        """Highlight the row at `index` (clamped), scroll it into view and announce it."""
        if not self._rows:
            return
        index = max(0, min(index, len(self._rows) - 1))
        previous = self._cursor
        self._cursor = index
        if previous is not None and previous != index:
            self.refresh_lines(previous * ROW_HEIGHT, ROW_HEIGHT)
        self.refresh_lines(index * ROW_HEIGHT, ROW_HEIGHT)
        self._scroll_to_cursor()
        self._announce()

    def _scroll_to_cursor(self) -> None:
        if self._cursor is None:
            return
        region = self.scrollable_content_region
        if not self.is_mounted or region.height == 0:
            # Not laid out yet: scroll on the first resize.
            self._scroll_pending = True
            return
        self._scroll_pending = False
        self.scroll_to_region(
            Region(0, self._cursor * ROW_HEIGHT, region.width, ROW_HEIGHT),
            animate=False,
            force=True,
            immediate=True,
            x_axis=False,
        )

    def _page_rows(self) -> int:
        return max(1, self.scrollable_content_region.height // ROW_HEIGHT)

    def action_cursor_up(self) -> None:
        """Move the highlight up one conversation."""
        self._move_cursor((self._cursor or 0) - 1)

    def action_cursor_down(self) -> None:
        """Move the highlight down one conversation."""
        self._move_cursor(-1 if self._cursor is None else self._cursor + 1)

    def action_first(self) -> None:
        """Highlight the first conversation."""
        self._move_cursor(0)

    def action_last(self) -> None:
        """Highlight the last conversation."""
        self._move_cursor(len(self._rows) - 1)

    def action_page_up(self) -> None:
        """Move the highlight up a screenful."""
        self._move_cursor((self._cursor or 0) - self._page_rows())

    def action_page_down(self) -> None:
        """Move the highlight down a screenful."""
        self._move_cursor((self._cursor or 0) + self._page_rows())

    def action_select(self) -> None:
        """Post `Selected` for the highlighted conversation."""
        current = self.highlighted
        if current is not None:
            self.post_message(self.Selected(self, current))

    # -- events --------------------------------------------------------------------------

    def on_mount(self) -> None:
        """Start the clock that keeps relative times ("Yesterday") current."""
        self.set_interval(60, self.refresh)

    def on_resize(self, event: events.Resize) -> None:
        """Finish a scroll asked for before the list had a size."""
        if self._scroll_pending:
            self._scroll_to_cursor()

    def on_click(self, event: events.Click) -> None:
        """Highlight and select the conversation under the pointer."""
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = (offset.y + self.scroll_offset.y) // ROW_HEIGHT
        if 0 <= index < len(self._rows):
            event.stop()
            self._move_cursor(index)
            self.action_select()

    # -- drawing -------------------------------------------------------------------------

    def _style(self, *components: str) -> Style:
        return self.get_visual_style(*components).rich_style

    def render_line(self, y: int) -> Strip:
        """Draw line `y` of the visible area; only visible lines are ever drawn.

        Args:
            y: The line, counted from the top of the visible area.

        Returns:
            The line, exactly as wide as the content area.
        """
        width = self.scrollable_content_region.width
        line = self.scroll_offset.y + y
        if not self._rows:
            hint = wrap_words(EMPTY_HINT, width - 2)
            if line < len(hint):
                style = self._style("conversation-list--empty")
                text = " " + hint[line]
                return Strip([Segment(text, style)]).adjust_cell_length(width, style)
            return Strip.blank(width, self._style())
        index, part = divmod(line, ROW_HEIGHT)
        if not 0 <= index < len(self._rows):
            return Strip.blank(width, self._style())
        conversation = self._rows[index]
        row_classes: tuple[str, ...] = ()
        if conversation.pinned:
            row_classes += ("conversation-list--pinned",)
        if index == self._cursor:
            row_classes += ("conversation-list--highlight",)
        if part == 0:
            segments = self._painter.first_line(conversation, row_classes, width)
        else:
            segments = self._painter.second_line(conversation, row_classes, width)
        return Strip(segments).adjust_cell_length(width, self._style(*row_classes))
