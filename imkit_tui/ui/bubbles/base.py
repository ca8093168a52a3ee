"""The base class of every message bubble: alignment, sender, dividers and status line.

A bubble is one message of a conversation, drawn by one widget: the chat view keeps a
few hundred of them mounted, and Textual's layout cost grows with the number of widgets,
so a bubble renders its parts itself rather than composing child widgets. Subclasses
only say what goes inside (:meth:`Bubble.render_body`); the base class places it left
(others) or right (own messages), at most 70% of the width, with the chat view's
dividers above everything.

Messages come in runs: consecutive messages of one sender a few minutes apart. The chat
view says where a run starts (:attr:`Bubble.run_head`) and ends (:attr:`Bubble.run_tail`).
The first of someone else's run has a head line (the sender's name in groups, and the
time); an own run shows its status and time under its last message. A bubble shows its
status line besides when it is selected (the exact time), when its status is not a plain
"sent" (sending, failed, rejected), and when it carries read counts or its recipients.
A bubble on its own (no chat view) is a run of one.

Bubbles never act on their own: a click on the body (or Enter in the chat view) posts
:class:`Bubble.ActionRequested` with the bubble's :attr:`~Bubble.default_action`, a
click on a link posts the link's action, and :meth:`Bubble.actions` lists the rest for
menus. The chat view feeds media bubbles through two hooks every bubble has:
:meth:`~Bubble.set_transfer` (download/upload progress) and
:meth:`~Bubble.set_media_path` (the media file is now local).
"""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path
from typing import ClassVar

from rich.align import Align, AlignMethod
from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual.events import Click
from textual.message import Message as TextualMessage
from textual.widget import Widget

from imkit_tui import messages
from imkit_tui.core import Direction, Message, SendStatus
from imkit_tui.protocol import ErrorCode
from imkit_tui.ui.bubbles import actions as act
from imkit_tui.ui.bubbles._layout import BODY_KEY, BubbleLayout, GuardedBody
from imkit_tui.ui.bubbles._palette import Palette, palette
from imkit_tui.ui.bubbles._status import head_line, status_line, status_shown
from imkit_tui.ui.bubbles._text import clean_text

_MAX_SENDER = 64
_RETRY_TIP = "Click the status line or press r to retry"

Transfer = tuple[int, int]
"""Bytes done and bytes in all of a running transfer (``total`` 0 when unknown)."""

Dividers = tuple[tuple[str, str], ...]
"""Lines above a bubble: ``(kind, text)``, kind "date" or "unread"."""


class Bubble(Widget):
    """One message in the chat view. Subclass it and implement :meth:`render_body`.

    Own messages (sent by ``me`` from any device) are right-aligned in the own-bubble
    colour with a status line ("sending…", "✓ 14:05", "! failed — r to retry") at the
    end of their run; others are left-aligned, the first of a run under a head line:
    the sender's name when ``show_sender`` is true (groups) and the time.

    A subclass reads its content in :meth:`read_content`, which the constructor calls;
    when it raises (malformed content) the registry shows an
    :class:`~imkit_tui.ui.bubbles.unsupported.UnsupportedBubble` instead.
    :meth:`render_body` may raise too; the bubble then shows a degraded body rather than
    crashing the app.
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

    rereads_content: ClassVar[bool] = False
    """Whether :meth:`update_message` reads new content again (an edit of a text).

    Off by default: most bubbles keep what they read when they were created (an upload
    finishing changes the content of an own picture, not what it shows).
    """

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

    class ActionRequested(TextualMessage):
        """Posted when the user asks for an action on a bubble (click, Enter, menu).

        ``action`` is one of the names of :mod:`imkit_tui.ui.bubbles.actions`
        ("open_link", "play", "view", "save", "open", "download", "open_map",
        "stop_animations", "copy"); ``url`` is set for "open_link" and "open_map".
        """

        def __init__(self, bubble: Bubble, action: str, url: str | None = None) -> None:
            self.source = bubble
            """The bubble the action is for."""
            self.action = action
            """The action's name."""
            self.url = url
            """The URL to open ("open_link", "open_map"), else None."""
            self.message = bubble.message
            """The message of the bubble."""
            super().__init__()

        @property
        def control(self) -> Bubble:
            """The bubble (so ``@on(Bubble.ActionRequested, selector)`` works)."""
            return self.source

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

        Raises:
            ValueError: :meth:`read_content` found the content malformed.
        """
        self._message = message
        self._me = me
        self._media_path: Path | None = self._own_local_path()
        # Before the widget exists: content that cannot be read costs no widget.
        self.read_content(message)
        # Classes given to the constructor cost nothing; set later, each restyles.
        own = "-own" if self.own else "-peer"
        failed = " -failed" if self.failed else ""
        super().__init__(name=name, id=id, classes=f"{classes or ''} {own}{failed}".strip())
        self._show_sender = show_sender
        self._run_head = self._run_tail = True
        self._dividers: Dividers = ()
        self._peer_read = False
        self._receipts = ""
        self._transfer: Transfer | None = None
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
        """Whether this is an own message whose sending failed (it can be retried).

        Not one the receiver refused (:attr:`rejected`): sending it again cannot help.
        """
        return self.own and self._message.status == SendStatus.FAILED and not self.rejected

    @property
    def rejected(self) -> bool:
        """Whether this is an own message the receiver refused (error 405: they block
        the sender, or accept only their whitelist). Shown grey, never retried."""
        message = self._message
        return (
            self.own
            and message.status == SendStatus.FAILED
            and message.error == ErrorCode.REJECTED_BY_BLACKLIST
        )

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
    def run_head(self) -> bool:
        """Whether the message starts a run (someone else's: the head line shows)."""
        return self._run_head

    @run_head.setter
    def run_head(self, head: bool) -> None:
        """Start a run here, or continue the one above (set by the chat view)."""
        if head != self._run_head:
            self._run_head = head
            self.refresh(layout=True)

    @property
    def run_tail(self) -> bool:
        """Whether the message ends its run (an own one: its status line shows)."""
        return self._run_tail

    @run_tail.setter
    def run_tail(self, tail: bool) -> None:
        """End a run here, or let the one below continue it (set by the chat view)."""
        if tail != self._run_tail:
            self._run_tail = tail
            self.refresh(layout=True)

    @property
    def head_shown(self) -> bool:
        """Whether the head line (sender in groups, time) shows above the body: the
        first of someone else's run."""
        return self.show_meta and self.boxed and not self.own and self._run_head

    @property
    def meta_shown(self) -> bool:
        """Whether the status line shows under the body (selected, an own run's last,
        sending or failed, read counts or recipients)."""
        return self.show_meta and status_shown(
            self._message,
            own=self.own,
            selected=self.selected,
            run_tail=self._run_tail,
            receipts=self._receipts,
        )

    @property
    def selected(self) -> bool:
        """Whether the bubble is highlighted as the chat view's selection."""
        return self.has_class("-selected")

    @selected.setter
    def selected(self, selected: bool) -> None:
        """Highlight the bubble or not."""
        if selected != self.selected:
            shown = self.meta_shown
            self.set_class(selected, "-selected")
            self.refresh(layout=shown != self.meta_shown)

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
        """The status line (see ``_status.py``), "" without one."""
        if not self.show_meta:
            return ""
        return status_line(
            self._message,
            me=self._me,
            own=self.own,
            rejected=self.rejected,
            peer_read=self._peer_read,
            receipts=self._receipts,
        )

    @property
    def receipts(self) -> str:
        """How many members read this own group message ("3 read · 5 unread")."""
        return self._receipts

    @receipts.setter
    def receipts(self, text: str) -> None:
        """Show a new read count (set by the screen's receipt actions)."""
        if text != self._receipts:
            shown = self.meta_shown
            self._receipts = text
            self.refresh(layout=shown != self.meta_shown)

    @property
    def peer_read(self) -> bool:
        """Whether the peer has read this own message (private chats; set by the chat view)."""
        return self._peer_read

    @peer_read.setter
    def peer_read(self, read: bool) -> None:
        """Show the message as read by the peer ("✓✓ Read") or not."""
        if read != self._peer_read:
            self._peer_read = read
            self.refresh()

    def read_content(self, message: Message) -> None:
        """Parse and validate the content of ``message``; store what :meth:`render_body` needs.

        The constructor calls it before the widget is initialised, so only
        :attr:`message`, :attr:`me`, :attr:`own` and :attr:`media_path` may be read
        here; create what needs the widget (a picture loaded by its workers) lazily, for
        example as a ``functools.cached_property``. With :attr:`rereads_content`,
        :meth:`update_message` calls it again for the new content. The default reads
        nothing.

        Raises:
            ValueError: The content is malformed. From the constructor, the registry
                then shows the unsupported bubble; from :meth:`update_message`, the
                bubble keeps what it read before, so validate before storing anything.
        """

    def render_body(self) -> RenderableType:
        """Return what goes inside the bubble; the default is the message's summary.

        Called on every repaint and for every width, so keep it cheap: parse the
        content in :meth:`read_content`. Text wraps at the bubble's width (70% of the
        view).
        """
        return Text(messages.summarize(self._message.object_name, self._message.content))

    def refresh_body(self, previous: Message) -> None:
        """Update cached state after :meth:`update_message` changed the message.

        Called after the content was read again (:attr:`rereads_content`). The default
        does nothing; override when the body caches something else that depends on the
        message.

        Args:
            previous: The message as it was before the update.
        """

    def update_message(self, message: Message) -> None:
        """Show a new state of the same message (status change, new content).

        With :attr:`rereads_content` the new content is read again; malformed new
        content keeps what was read before.
        """
        previous = self._message
        self._message = message
        self._sync_classes()
        try:
            if self.rereads_content:
                with suppress(ValueError):
                    self.read_content(message)
            self.refresh_body(previous)
        except Exception:
            self.log.error(f"bubble {type(self).__name__} failed to refresh {message.id}")
        self.refresh(layout=True)

    def actions(self) -> list[tuple[str, str]]:
        """List the actions this bubble supports as ``(action, label)``, for menus.

        The default is none; media bubbles list "play", "save", "download" and so on
        (names in :mod:`imkit_tui.ui.bubbles.actions`).
        """
        return []

    @property
    def default_action(self) -> str | None:
        """The action a click on the body (or Enter) asks for; None when there is none."""
        return None

    def url_for(self, action: str) -> str | None:
        """The URL that goes with ``action`` ("open_link", "open_map"), else None."""
        return None

    def toggle_fold(self) -> bool:
        """Unfold a long body in place, or fold it again; False when there is nothing
        to fold (the default: only long texts fold)."""
        return False

    def request_action(self, action: str | None = None, url: str | None = None) -> bool:
        """Post :class:`ActionRequested` for ``action`` (default: :attr:`default_action`).

        Args:
            action: The action's name; None means the default action.
            url: The URL; None means :meth:`url_for` of the action.

        Returns:
            Whether a request was posted (False when there is no action to take).
        """
        name = self.default_action if action is None else action
        if not name:
            return False
        self.post_message(self.ActionRequested(self, name, url or self.url_for(name)))
        return True

    @property
    def transfer(self) -> Transfer | None:
        """The running download or upload as ``(done, total)`` bytes, else None."""
        return self._transfer

    def set_transfer(self, done: int | None, total: int | None = None) -> None:
        """Show the progress of a download or upload; ``set_transfer(None)`` clears it.

        Media bubbles draw a progress bar ``▕████░░░░▏ 45%``; others ignore it.

        Args:
            done: Bytes transferred so far, or None when no transfer runs any more.
            total: Bytes in all; None or 0 when unknown.
        """
        transfer: Transfer | None = None
        if done is not None:
            whole = max(0, int(total or 0))
            amount = max(0, int(done))
            transfer = (min(amount, whole) if whole else amount, whole)
        if transfer != self._transfer:
            # Only a bar that appears or goes changes the bubble's height.
            relayout = (transfer is None) != (self._transfer is None)
            self._transfer = transfer
            self.refresh(layout=relayout)

    @property
    def media_path(self) -> Path | None:
        """Where the message's media file is on this machine, once it is local."""
        return self._media_path

    def set_media_path(self, path: str | os.PathLike[str] | None) -> None:
        """Say that the media file of the message is now at ``path`` (None: not local).

        Calls :meth:`media_path_changed` (once mounted) and repaints.
        """
        new = Path(path) if path is not None else None
        if new == self._media_path:
            return
        self._media_path = new
        if self.is_mounted:
            self._media_path_changed()
        self.refresh(layout=True)

    def media_path_changed(self) -> None:
        """React to a new :attr:`media_path` (load a picture, frames…); default: nothing.

        Called when mounted and on every later change; may start workers.
        """

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
        if self.head_shown:
            sender = self._sender_name() if self.show_sender else None
            lines.append(head_line(sender, self._message.sent_at, colours.sender, colours.meta))
        fallback = self.degraded_body()
        try:
            body = self.render_body()
        except Exception:
            body = fallback
        if not self.boxed and isinstance(body, Text):
            body.stylize(colours.notice)
            body.no_wrap, body.overflow = True, "ellipsis"
        guarded = GuardedBody(body, fallback)
        side: AlignMethod = "right" if self.own else "left"
        after: list[RenderableType] = []
        if self.meta_shown:
            meta = colours.meta_selected if self.selected else colours.meta
            meta = colours.failed if self.failed else meta
            after.append(Align(Text(self.meta_text, style=meta), side))
        if not self.boxed:
            return BubbleLayout(lines, Align.center(guarded), after, side=side, body_style=None)
        box = colours.selected if self.selected else colours.own if self.own else colours.peer
        return BubbleLayout(lines, guarded, after, side=side, body_style=box)

    def degraded_body(self) -> Text:
        """The body shown when :meth:`render_body` fails."""
        raw = self._message.object_name
        name = clean_text(raw, keep_newlines=False)[:100] if isinstance(raw, str) else "?"
        return Text(f"Unsupported message: {name}", style=self.muted_style)

    @property
    def muted_style(self) -> Style:
        """The style of dim, italic text (for subclasses)."""
        return self.palette.muted

    @property
    def detail_style(self) -> Style:
        """Secondary text inside this bubble's box (sizes, durations)."""
        colours = self.palette
        return colours.own_detail if self.own else colours.peer_detail

    def on_mount(self) -> None:
        """Let the subclass load a media file that is already local."""
        if self._media_path is not None:
            self._media_path_changed()

    def on_click(self, event: Click) -> None:
        """Select the bubble; then act on a link, the body, or retry a failed message.

        A click on the status line of a failed message retries it; a click on a link
        posts the link's action; a click elsewhere on the body posts the
        :attr:`default_action`. Other buttons only select: the chat view opens the
        actions menu on a right click.
        """
        if event.button not in (0, 1):  # 0: a click Textual synthesised (keyboard, tests)
            self.post_message(self.Selected(self))
            return
        offset = event.get_content_offset(self)
        last = self.content_size.height - 1
        if self.failed and self.meta_shown and offset is not None and offset.y == last:
            event.stop()
            self.request_retry()
            return
        self.post_message(self.Selected(self))
        link = act.link_at(event.style)
        if link is not None:
            self.post_message(self.ActionRequested(self, link[0], link[1]))
        elif offset is not None and self._on_body(event, offset.y):
            self.request_action()

    def _on_body(self, event: Click, row: int) -> bool:
        if self.boxed:
            try:
                return bool(event.style.meta.get(BODY_KEY))
            except Exception:
                return False
        top = len(self._dividers) + (1 if self.head_shown else 0)
        bottom = self.content_size.height - (1 if self.meta_shown else 0)
        return top <= row < bottom

    def _media_path_changed(self) -> None:
        try:
            self.media_path_changed()
        except Exception:
            self.log.error(f"bubble {type(self).__name__} failed to take {self._media_path}")

    def _own_local_path(self) -> Path | None:
        """The ``localPath`` of an own message still being uploaded (never others')."""
        content = self._message.content
        if not self.own or not isinstance(content, dict):
            return None
        local = content.get("localPath")
        if isinstance(local, str) and local.strip() and "\x00" not in local:
            return Path(local)
        return None

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
