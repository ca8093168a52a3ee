"""The base class of every message bubble: alignment, sender, dividers and status line.

A bubble is one message of a conversation as a renderer object, not a widget: it gives
a Rich renderable for whatever width it is drawn at (:meth:`Bubble.render`), and a
line-drawn list (the chat view) turns that into cached strips and draws only the lines
on screen, so a conversation of any length mounts nothing per message. Subclasses only
say what goes inside (:meth:`Bubble.render_body`); the base class places it left
(others) or right (own messages), at most 70% of the width, with the chat view's
dividers above everything. The widget that draws a bubble is its *host*
(:class:`~imkit_tui.ui.bubbles._host.BubbleHost`): :meth:`Bubble.refresh` asks it to
draw the bubble again, and messages, workers and timers go through it.

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
from collections.abc import Callable, Coroutine
from contextlib import suppress
from pathlib import Path
from typing import Any, ClassVar, TypeAlias

from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual import log
from textual._context import active_app
from textual.app import App
from textual.message import Message as TextualMessage
from textual.timer import Timer

from imkit_tui import messages
from imkit_tui.core import Direction, Message, SendStatus
from imkit_tui.protocol import ErrorCode
from imkit_tui.ui.bubbles import _events
from imkit_tui.ui.bubbles._click import handle_click
from imkit_tui.ui.bubbles._draw import draw
from imkit_tui.ui.bubbles._host import BubbleHost
from imkit_tui.ui.bubbles._palette import Palette, palette
from imkit_tui.ui.bubbles._status import status_line, status_shown
from imkit_tui.ui.bubbles._text import clean_text
from imkit_tui.ui.names import person

_MAX_SENDER = 64
_RETRY_TIP = "Click the status line or press r to retry"

REJECTIONS = frozenset({ErrorCode.REJECTED_BY_BLACKLIST, ErrorCode.SENSITIVE_WORD_BLOCKED})
"""The refusals sending again cannot change."""

Transfer = tuple[int, int]
"""Bytes done and bytes in all of a running transfer (``total`` 0 when unknown)."""

Dividers = tuple[tuple[str, str], ...]
"""Lines above a bubble: ``(kind, text)``, kind "date" or "unread"."""


class Bubble:
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

    show_meta: ClassVar[bool] = True
    """Whether the bubble has a status/time line under it."""

    boxed: ClassVar[bool] = True
    """Whether the body sits in a coloured box on one side; notices are centred lines."""

    rereads_content: ClassVar[bool] = False
    """Whether :meth:`update_message` reads new content again (an edit of a text).

    Off by default: most bubbles keep what they read when they were created (an upload
    finishing changes the content of an own picture, not what it shows).
    """

    Selected: TypeAlias = _events.Selected
    """Posted when the user clicks the bubble."""
    RetryRequested: TypeAlias = _events.RetryRequested
    """Posted when the user asks to send a failed own message again."""
    ActionRequested: TypeAlias = _events.ActionRequested
    """Posted when the user asks for an action on the bubble (click, Enter, menu)."""

    def __init__(
        self,
        message: Message,
        *,
        me: str,
        show_sender: bool = False,
    ) -> None:
        """Create the bubble of ``message`` as seen by the user ``me``.

        Args:
            message: The message to show.
            me: The user id of this client's user; decides which side the bubble is on.
            show_sender: Show the sender's name above others' messages (groups).

        Raises:
            ValueError: :meth:`read_content` found the content malformed.
        """
        self._message = message
        self._me = me
        self._host: BubbleHost | None = None
        self._media_path: Path | None = self._own_local_path()
        self.read_content(message)
        self._show_sender = show_sender
        self._run_head = self._run_tail = True
        self._selected = self._marked = False
        self._dividers: Dividers = ()
        self._peer_read = False
        self._receipts = ""
        self._transfer: Transfer | None = None

    # ------------------------------------------------------------------ the host

    @property
    def host(self) -> BubbleHost | None:
        """The widget drawing this bubble, while it is attached to one."""
        return self._host

    @property
    def attached(self) -> bool:
        """Whether the bubble is attached to a host that is in the DOM."""
        return self._host is not None and self._host.is_attached

    def attach(self, host: BubbleHost) -> None:
        """Be drawn by ``host`` (called by the host); then :meth:`on_attach` runs."""
        self._host = host
        if self._media_path is not None:
            self._media_path_changed()
        try:
            self.on_attach()
        except Exception as error:
            log.error(f"bubble {type(self).__name__} failed to attach: {error!r}")

    def detach(self) -> None:
        """Leave the host (called by it); :meth:`on_detach` runs first."""
        if self._host is None:
            return
        try:
            self.on_detach()
        finally:
            self._host = None

    def on_attach(self) -> None:
        """Start what needs the app (timers); the default does nothing."""

    def on_detach(self) -> None:
        """Stop timers started in :meth:`on_attach`; the default does nothing."""

    @property
    def app(self) -> App[Any]:
        """The app: the host's, else the active one (raises LookupError outside an app)."""
        if self._host is not None:
            return self._host.app
        return active_app.get()

    def refresh(self) -> None:
        """Ask the host to draw the bubble again (its height may change)."""
        if self._host is not None:
            self._host.bubble_changed(self)

    def post_message(self, message: TextualMessage) -> bool:
        """Post ``message`` through the host (it bubbles up from there); False unattached."""
        if self._host is None:
            return False
        return self._host.post_message(message)

    def run_worker(
        self, work: Coroutine[Any, Any, None], *, group: str = "default", exclusive: bool = False
    ) -> None:
        """Run ``work`` in a worker of the host (``exclusive``: this bubble's earlier one
        of ``group`` is cancelled); closed unrun when the bubble is not attached."""
        if self._host is None:
            work.close()
            return
        self._host.run_bubble_worker(self, work, group, exclusive)

    def set_timer(self, delay: float, callback: Callable[[], Any]) -> Timer | None:
        """Call ``callback`` after ``delay`` seconds (a host timer); None unattached."""
        if self._host is None:
            return None
        return self._host.set_timer(delay, callback)

    @property
    def visible(self) -> bool:
        """Whether some line of the bubble is on screen now."""
        return self._host is not None and self._host.bubble_visible(self)

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
        """Whether this is an own message refused for good: by the receiver (error 405:
        they block the sender, or accept only their whitelist), or for its content
        (21501: a sensitive word, or the app's backend blocked it). Shown grey, never
        retried."""
        message = self._message
        return self.own and message.status == SendStatus.FAILED and message.error in REJECTIONS

    @property
    def show_sender(self) -> bool:
        """Whether the sender's name is shown above the bubble (never for own messages)."""
        return self._show_sender and self.boxed and not self.own

    @show_sender.setter
    def show_sender(self, show: bool) -> None:
        """Show or hide the sender's name."""
        if show != self._show_sender:
            self._show_sender = show
            self.refresh()

    @property
    def run_head(self) -> bool:
        """Whether the message starts a run (someone else's: the head line shows)."""
        return self._run_head

    @run_head.setter
    def run_head(self, head: bool) -> None:
        """Start a run here, or continue the one above (set by the chat view)."""
        if head != self._run_head:
            self._run_head = head
            self.refresh()

    @property
    def run_tail(self) -> bool:
        """Whether the message ends its run (an own one: its status line shows)."""
        return self._run_tail

    @run_tail.setter
    def run_tail(self, tail: bool) -> None:
        """End a run here, or let the one below continue it (set by the chat view)."""
        if tail != self._run_tail:
            self._run_tail = tail
            self.refresh()

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
        return self._selected

    @selected.setter
    def selected(self, selected: bool) -> None:
        """Highlight the bubble or not."""
        if selected != self._selected:
            self._selected = selected
            self.refresh()

    @property
    def marked(self) -> bool:
        """Whether the bubble is marked for forwarding (a bar on its left)."""
        return self._marked

    @marked.setter
    def marked(self, marked: bool) -> None:
        """Mark the bubble or not (set by the chat view)."""
        if marked != self._marked:
            self._marked = marked
            self.refresh()

    @property
    def tooltip(self) -> str | None:
        """What the pointer over the bubble shows: how to retry a failed message."""
        return _RETRY_TIP if self.failed else None

    @property
    def dividers(self) -> Dividers:
        """The divider lines drawn above the bubble (set by the chat view)."""
        return self._dividers

    @dividers.setter
    def dividers(self, dividers: Dividers) -> None:
        """Replace the divider lines."""
        if dividers != self._dividers:
            self._dividers = dividers
            self.refresh()

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
            self._receipts = text
            self.refresh()

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
        try:
            if self.rereads_content:
                with suppress(ValueError):
                    self.read_content(message)
            self.refresh_body(previous)
        except Exception:
            log.error(f"bubble {type(self).__name__} failed to refresh {message.id}")
        self.refresh()

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
            self._transfer = transfer
            self.refresh()

    @property
    def media_path(self) -> Path | None:
        """Where the message's media file is on this machine, once it is local."""
        return self._media_path

    def set_media_path(self, path: str | os.PathLike[str] | None) -> None:
        """Say that the media file of the message is now at ``path`` (None: not local).

        Calls :meth:`media_path_changed` (once attached) and repaints.
        """
        new = Path(path) if path is not None else None
        if new == self._media_path:
            return
        self._media_path = new
        if self._host is not None:
            self._media_path_changed()
        self.refresh()

    def media_path_changed(self) -> None:
        """React to a new :attr:`media_path` (load a picture, frames…); default: nothing.

        Called when attached to a host and on every later change; may start workers.
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
        """Dividers, sender, the body in its box and the status line, for any width."""
        return draw(self)

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

    def click(self, button: int, row: int, style: Style) -> None:
        """Handle a click on line ``row`` of the bubble (called by the host).

        Selects the bubble (:class:`Selected`); then a click on the status line of a
        failed message retries it, a click on a link posts the link's action, and a
        click elsewhere on the body posts the :attr:`default_action`. Other buttons only
        select: the chat view opens the actions menu on a right click.

        Args:
            button: The mouse button (0: a click Textual synthesised, 1: the left one).
            row: The line of the bubble clicked, from 0 (its first divider or head).
            style: The style of the cell clicked (links and the body are in its meta).
        """
        handle_click(self, button, row, style)

    @property
    def height(self) -> int:
        """Lines the bubble took when its host last measured it (0 before, or unattached)."""
        return self._host.bubble_height(self) if self._host is not None else 0

    def _media_path_changed(self) -> None:
        try:
            self.media_path_changed()
        except Exception:
            log.error(f"bubble {type(self).__name__} failed to take {self._media_path}")

    def _own_local_path(self) -> Path | None:
        """The ``localPath`` of an own message still being uploaded (never others')."""
        content = self._message.content
        if not self.own or not isinstance(content, dict):
            return None
        local = content.get("localPath")
        if isinstance(local, str) and local.strip() and "\x00" not in local:
            return Path(local)
        return None

    @property
    def sender_name(self) -> str:
        """The sender's display name as shown in the head line (ui/names.py; cleaned, at
        most 64 characters)."""
        sender = self._message.sender
        sender = person(sender) if isinstance(sender, str) and sender else sender
        name = clean_text(sender, keep_newlines=False).strip() if isinstance(sender, str) else ""
        if len(name) > _MAX_SENDER:
            name = name[: _MAX_SENDER - 1] + "…"
        return name or "?"
