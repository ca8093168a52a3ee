"""The base class of every message bubble: alignment, sender, dividers and status line.

A bubble is one message of a conversation, drawn by one widget: the chat view keeps a
few hundred of them mounted, and Textual's layout cost grows with the number of widgets,
so a bubble renders its parts itself rather than composing child widgets. Subclasses
only say what goes inside (:meth:`Bubble.render_body`); the base class places it left
(others) or right (own messages), at most 70% of the width, with the sender above it in
groups, the status line under it and the chat view's dividers above everything.
"""

from __future__ import annotations

from typing import ClassVar

from rich.align import Align, AlignMethod
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.constrain import Constrain
from rich.measure import Measurement
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.events import Click
from textual.message import Message as TextualMessage
from textual.widget import Widget

from imkit_tui import messages
from imkit_tui.core import Direction, Message, SendStatus
from imkit_tui.ui.bubbles._palette import Palette, palette
from imkit_tui.ui.bubbles._text import clean_text, clock

BODY_WIDTH = 0.7
"""The widest a bubble's body gets, as a fraction of the view."""

_MAX_SENDER = 64
_RETRY_TIP = "Click the status line or press r to retry"

Dividers = tuple[tuple[str, str], ...]
"""Lines above a bubble: ``(kind, text)``, kind "date", "unread" or "time"."""


class _Layout:
    """The parts of a bubble, laid out for whatever width Rich renders them at."""

    def __init__(
        self,
        lines: list[RenderableType],
        body: RenderableType,
        after: list[RenderableType],
        *,
        side: AlignMethod,
        body_style: Style | None,
    ) -> None:
        self.lines, self.body, self.after = lines, body, after
        self.side, self.body_style = side, body_style

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.lines
        if self.body_style is None:
            yield self.body
        else:
            width = max(4, int(options.max_width * BODY_WIDTH))
            boxed = Padding(self.body, (0, 1), style=self.body_style, expand=False)
            yield Align(Constrain(boxed, width), self.side)
        yield from self.after


class _Guarded:
    """A body renderable that shows ``fallback`` instead when it fails to render."""

    def __init__(self, body: RenderableType, fallback: RenderableType) -> None:
        self.body, self.fallback = body, fallback

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        try:
            lines = console.render_lines(self.body, options, pad=False)
        except Exception:
            yield self.fallback
            return
        for line in lines:
            yield from line
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        try:
            return Measurement.get(console, options, self.body)
        except Exception:
            return Measurement.get(console, options, self.fallback)


class Bubble(Widget):
    """One message in the chat view. Subclass it and implement :meth:`render_body`.

    Own messages (sent by ``me`` from any device) are right-aligned in the own-bubble
    colour with a status line ("sending…", "✓ 14:05", "! failed — r to retry");
    others are left-aligned, with the sender's name above when ``show_sender`` is true
    (groups) and the time under them.

    The constructor of a subclass may raise (for example on malformed content): the
    registry then shows an :class:`~imkit_tui.ui.bubbles.unsupported.UnsupportedBubble`
    instead. :meth:`render_body` may raise too; the bubble then shows a degraded body
    rather than crashing the app.
    """

    DEFAULT_CSS = """
    Bubble {
        width: 1fr;
        height: auto;
        padding: 0 1;
    }
    """

    show_meta: ClassVar[bool] = True
    """Whether the bubble has a status/time line under it."""

    boxed: ClassVar[bool] = True
    """Whether the body sits in a coloured box on one side; notices are centred lines."""

    class Selected(TextualMessage):
        """Posted when the user clicks a bubble."""

        def __init__(self, bubble: Bubble) -> None:
            self.source = bubble
            """The bubble that was clicked."""
            super().__init__()

    class RetryRequested(TextualMessage):
        """Posted when the user asks to send a failed own message again."""

        def __init__(self, bubble: Bubble) -> None:
            self.source = bubble
            """The bubble of the failed message."""
            self.message = bubble.message
            """The failed message."""
            super().__init__()

    def __init__(
        self,
        message: Message,
        *,
        me: str,
        show_sender: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Create the bubble of ``message`` as seen by the user ``me``.

        Args:
            message: The message to show.
            me: The user id of this client's user; decides which side the bubble is on.
            show_sender: Show the sender's name above others' messages (groups).
            name: The widget name; ``id`` and ``classes`` as for any widget.
        """
        self._message = message
        self._me = me
        # Classes given to the constructor cost nothing; set later, each restyles.
        own = "-own" if self.own else "-peer"
        failed = " -failed" if self.failed else ""
        super().__init__(name=name, id=id, classes=f"{classes or ''} {own}{failed}".strip())
        self._show_sender = show_sender
        self._dividers: Dividers = ()
        if self.failed:
            self.tooltip = _RETRY_TIP

    @property
    def message(self) -> Message:
        """The message as last given (constructor or :meth:`update_message`)."""
        return self._message

    @property
    def me(self) -> str:
        """The user id of this client's user."""
        return self._me

    @property
    def own(self) -> bool:
        """Whether the message was sent by this user (from this or another device)."""
        return self._message.direction == Direction.SENT or self._message.sender == self._me

    @property
    def failed(self) -> bool:
        """Whether this is an own message whose sending failed (it can be retried)."""
        return self.own and self._message.status == SendStatus.FAILED

    @property
    def show_sender(self) -> bool:
        """Whether the sender's name is shown above the bubble (never for own messages)."""
        return self._show_sender and self.boxed and not self.own

    @show_sender.setter
    def show_sender(self, show: bool) -> None:
        """Show or hide the sender's name."""
        if show != self._show_sender:
            self._show_sender = show
            self.refresh(layout=True)

    @property
    def selected(self) -> bool:
        """Whether the bubble is highlighted as the chat view's selection."""
        return self.has_class("-selected")

    @selected.setter
    def selected(self, selected: bool) -> None:
        """Highlight the bubble or not."""
        if selected != self.selected:
            self.set_class(selected, "-selected")
            self.refresh()

    @property
    def dividers(self) -> Dividers:
        """The divider lines drawn above the bubble (set by the chat view)."""
        return self._dividers

    @dividers.setter
    def dividers(self, dividers: Dividers) -> None:
        """Replace the divider lines."""
        if dividers != self._dividers:
            self._dividers = dividers
            self.refresh(layout=True)

    @property
    def meta_text(self) -> str:
        """The status line of own messages, the time of others', "" without one."""
        if not self.show_meta:
            return ""
        message = self._message
        if not self.own:
            return clock(message.sent_at)
        if message.status == SendStatus.SENDING:
            return "sending…"
        if message.status == SendStatus.FAILED:
            return "! failed — r to retry"
        return f"✓ {clock(message.sent_at)}"

    def render_body(self) -> RenderableType:
        """Return what goes inside the bubble; the default is the message's summary.

        Called on every repaint and for every width, so keep it cheap: parse the
        content in the constructor. Text wraps at the bubble's width (70% of the view).
        """
        return Text(messages.summarize(self._message.object_name, self._message.content))

    def refresh_body(self, previous: Message) -> None:
        """Update cached state after :meth:`update_message` changed the message.

        The default does nothing; override when the body caches something of the
        content (which can change, for example when a message is edited).

        Args:
            previous: The message as it was before the update.
        """

    def update_message(self, message: Message) -> None:
        """Show a new state of the same message (status change, new content)."""
        previous = self._message
        self._message = message
        self._sync_classes()
        try:
            self.refresh_body(previous)
        except Exception:
            self.log.error(f"bubble {type(self).__name__} failed to refresh {message.id}")
        self.refresh(layout=True)

    def request_retry(self) -> None:
        """Post :class:`RetryRequested` when this is a failed own message."""
        if self.failed:
            self.post_message(self.RetryRequested(self))

    @property
    def palette(self) -> Palette:
        """The colours of the app's current theme."""
        return palette(self.app)

    def render(self) -> RenderableType:
        """Dividers, sender, the body in its box and the status line."""
        colours = self.palette
        divider_styles = {"date": colours.date, "unread": colours.unread}
        lines: list[RenderableType] = [
            Align.center(Text(text, style=divider_styles.get(kind, colours.divider)))
            for kind, text in self._dividers
        ]
        if self.show_sender:
            lines.append(Text(self._sender_name(), style=colours.sender))
        fallback = self.degraded_body()
        try:
            body = self.render_body()
        except Exception:
            body = fallback
        if not self.boxed and isinstance(body, Text):
            body.stylize(colours.notice)
            body.no_wrap, body.overflow = True, "ellipsis"
        guarded = _Guarded(body, fallback)
        side: AlignMethod = "right" if self.own else "left"
        after: list[RenderableType] = []
        if self.show_meta:
            meta = colours.meta_selected if self.selected else colours.meta
            meta = colours.failed if self.failed else meta
            after.append(Align(Text(self.meta_text, style=meta), side))
        if not self.boxed:
            return _Layout(lines, Align.center(guarded), after, side=side, body_style=None)
        box = colours.selected if self.selected else colours.own if self.own else colours.peer
        return _Layout(lines, guarded, after, side=side, body_style=box)

    def degraded_body(self) -> Text:
        """The body shown when :meth:`render_body` fails."""
        raw = self._message.object_name
        name = clean_text(raw, keep_newlines=False)[:100] if isinstance(raw, str) else "?"
        return Text(f"Unsupported message: {name}", style=self.muted_style)

    @property
    def muted_style(self) -> Style:
        """The style of dim, italic text (for subclasses)."""
        return self.palette.muted

    def on_click(self, event: Click) -> None:
        """Select the bubble; a click on the status line of a failed message retries it."""
        offset = event.get_content_offset(self)
        if self.failed and offset is not None and offset.y == self.content_size.height - 1:
            event.stop()
            self.request_retry()
            return
        self.post_message(self.Selected(self))

    def _sync_classes(self) -> None:
        own = self.own
        self.set_class(own, "-own")
        self.set_class(not own, "-peer")
        self.set_class(self.failed, "-failed")
        if self.failed:
            self.tooltip = _RETRY_TIP
        elif self.tooltip == _RETRY_TIP:
            self.tooltip = None

    def _sender_name(self) -> str:
        sender = self._message.sender
        name = clean_text(sender, keep_newlines=False).strip() if isinstance(sender, str) else ""
        if len(name) > _MAX_SENDER:
            name = name[: _MAX_SENDER - 1] + "…"
        return name or "?"
