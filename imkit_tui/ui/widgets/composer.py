"""The message composer: a multi-line input that sends on Enter.

Keys (each binding has an id, so ``App.set_keymap`` can remap it):

==============================  ======================  ==================================
key                             binding id              effect
==============================  ======================  ==================================
enter                           ``composer.send``       post :class:`Composer.Submitted`
alt+enter, ctrl+j, shift+enter  ``composer.newline``    insert a newline
ctrl+a                          ``composer.attach``     post :class:`Composer.AttachRequested`
tab / shift+tab                 (the app's)             move focus
==============================  ======================  ==================================

Terminals differ: with the kitty keyboard protocol (kitty, WezTerm, foot, Ghostty,
recent iTerm2…) Textual reports alt+enter and shift+enter as such; legacy terminals
send alt+enter as ESC CR, which Textual 8 reports as a plain ``enter`` (it would
send), and shift+enter as plain ``enter``. ctrl+j (a line feed) works everywhere.

A bracketed paste arrives as one :class:`textual.events.Paste` and is inserted as-is,
newlines included, without sending; a paste that is exactly the path of an existing
file (as terminals paste a dropped file) posts :class:`Composer.FilePasted` instead.
A line starting with one of the slash commands of
:mod:`~imkit_tui.ui.widgets.composer_input` posts :class:`Composer.CommandSubmitted`
and stays in the composer until :meth:`Composer.clear_sent` (so a typo can be fixed).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static, TextArea

from imkit_tui.ui.emoji import expand_shortcodes
from imkit_tui.ui.widgets.composer_input import command_name, pasted_path

__all__ = ["AttachButton", "Composer"]


class _ComposerText(Message):
    """A composer's message that carries text; ``control`` is the composer."""

    def __init__(self, composer: Composer, text: str) -> None:
        super().__init__()
        self.composer = composer
        self.text = text

    @property
    def control(self) -> Composer:
        """The composer that sent the message."""
        return self.composer


class Composer(TextArea):
    """A multi-line message input: Enter sends, Alt+Enter or Ctrl+J adds a newline.

    Posts :class:`Submitted` (text with shortcodes expanded) and, for drafts,
    :class:`DraftChanged` after a pause in typing. It grows with its content from
    one to six lines, then scrolls. As a :class:`~textual.widgets.TextArea` it also
    posts ``TextArea.Changed`` on every edit (e.g. for a typing indicator).
    """

    DEFAULT_CSS = """
    Composer {
        height: auto;
        /* One to six lines of text, plus the two rows of the tall border. */
        min-height: 3;
        max-height: 8;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority, or TextArea's own key handler would turn enter into a newline.
        Binding("enter", "submit", "Send", id="composer.send", priority=True),
        Binding(
            "alt+enter,ctrl+j,shift+enter",
            "newline",
            "Newline",
            key_display="^j",
            id="composer.newline",
            priority=True,
        ),
        Binding("ctrl+a", "attach", "Attach", id="composer.attach"),
    ]

    # ctrl+j, not alt+enter: in terminals without the kitty protocol alt+enter arrives
    # as a plain enter, which sends.
    PLACEHOLDER_HINT = "Enter send · Ctrl+J newline"
    """The key hint shown in the placeholder, after the recipient's name."""

    class Submitted(_ComposerText):
        """The user pressed Enter on a non-blank message.

        Attributes:
            composer: The composer that sent it (already cleared).
            text: The text, shortcodes expanded and trailing whitespace stripped;
                never empty.
        """

    class DraftChanged(_ComposerText):
        """The draft differs from the one last reported or loaded.

        Posted after a pause in editing, immediately on :meth:`Composer.flush_draft`
        (hence before :meth:`Composer.set_draft` loads another draft and on blur),
        and with ``text=""`` right after a send. Store ``text`` under ``key``; an
        empty ``text`` means the draft is gone.

        Attributes:
            composer: The composer whose draft changed.
            text: The raw draft (shortcodes not expanded, whitespace kept).
            key: The key given to the ``set_draft`` call that loaded this draft,
                typically the conversation id; ``None`` if never set.
        """

        def __init__(self, composer: Composer, text: str, key: str | None) -> None:
            super().__init__(composer, text)
            self.key = key

    class CommandSubmitted(_ComposerText):
        """The user pressed Enter on a slash command (``/image PATH``…).

        The text stays in the composer; call :meth:`Composer.clear_sent` once the
        command succeeded, so a failing one can be fixed.

        Attributes:
            composer: The composer.
            text: The command line as typed.
        """

    class AttachRequested(Message):
        """The user asked for the attachment board (ctrl+a)."""

    class FilePasted(Message):
        """A paste was exactly the path of an existing file (not inserted).

        Attributes:
            composer: The composer pasted into.
            path: The file (expanded, unquoted).
            text: The text as pasted; :meth:`Composer.insert_text` it to keep it as text.
        """

        def __init__(self, composer: Composer, path: Path, text: str) -> None:
            super().__init__()
            self.composer = composer
            self.path = path
            self.text = text

        @property
        def control(self) -> Composer:
            """The composer pasted into."""
            return self.composer

    def __init__(
        self,
        text: str = "",
        *,
        draft_delay: float = 0.5,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Create a composer.

        Args:
            text: The initial text (not reported as a draft change).
            draft_delay: Seconds without edits before :class:`DraftChanged` is posted.
            name: The widget's name.
            id: The widget's id.
            classes: Space-separated CSS classes.
            disabled: Whether the composer starts disabled.
        """
        super().__init__(
            text,
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            highlight_cursor_line=False,
            placeholder=self._placeholder_for(None),
            name=name,
            id=id,
            classes=classes,
            disabled=disabled,
        )
        self.draft_delay = draft_delay
        self._reported_draft = text
        self._draft_key: str | None = None
        self._draft_timer: Timer | None = None

    @property
    def draft_key(self) -> str | None:
        """The key of the draft being edited, as given to :meth:`set_draft`."""
        return self._draft_key

    def set_placeholder(self, name: str | None) -> None:
        """Show "Message <name>… (Enter send · Ctrl+J newline)" when empty.

        Args:
            name: The recipient (person or group) to name, or ``None`` for none.
        """
        self.placeholder = self._placeholder_for(name)

    def set_draft(self, text: str, key: str | None = None) -> None:
        """Load a draft (e.g. on switching conversation) without reporting it.

        A pending, not yet reported edit of the current draft is reported first
        (under the current key), so switching quickly loses nothing. The cursor
        goes to the end; the undo history is cleared.

        Args:
            text: The draft to edit; ``""`` for none.
            key: What the following :class:`DraftChanged` messages carry as ``key``.
        """
        self.flush_draft()
        self._draft_key = key
        self._reported_draft = text
        self.load_text(text)
        self.move_cursor(self.document.end)

    def flush_draft(self) -> None:
        """Post :class:`DraftChanged` now if the draft changed since last reported."""
        self._stop_draft_timer()
        if self.text != self._reported_draft:
            self._reported_draft = self.text
            self.post_message(self.DraftChanged(self, self.text, self._draft_key))

    def action_submit(self) -> None:
        """Send the text (if not blank) as :class:`Submitted`, then clear."""
        if command_name(self.text) is not None:
            self.post_message(self.CommandSubmitted(self, self.text.strip()))
            return
        text = expand_shortcodes(self.text).rstrip()
        if not text.strip():
            return
        self.post_message(self.Submitted(self, text))
        self.clear_sent()

    def clear_sent(self) -> None:
        """Empty the composer after a send (undo will not bring the text back)."""
        # load_text rather than clear(): undo must not bring a sent message back.
        self.load_text("")
        self.flush_draft()

    def insert_text(self, text: str) -> None:
        """Insert ``text`` at the cursor, replacing any selection (a paste kept as text)."""
        start, end = self.selection
        result = self.replace(text, start, end, maintain_selection_offset=False)
        self.move_cursor(result.end_location)

    def action_attach(self) -> None:
        """Ask for the attachment board."""
        self.post_message(self.AttachRequested())

    def action_newline(self) -> None:
        """Insert a newline at the cursor, replacing any selection."""
        start, end = self.selection
        result = self.replace("\n", start, end, maintain_selection_offset=False)
        self.move_cursor(result.end_location)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Disable the composer's own actions when read-only, so keys fall through."""
        if action in ("submit", "newline") and self.read_only:
            return False
        return super().check_action(action, parameters)

    def _on_text_area_changed(self, event: TextArea.Changed) -> None:
        """Restart the draft timer; the event still bubbles to the app."""
        if event.text_area is not self:
            return
        self._stop_draft_timer()
        if self.text != self._reported_draft:
            self._draft_timer = self.set_timer(
                self.draft_delay, self.flush_draft, name="composer-draft"
            )

    async def _on_paste(self, event: events.Paste) -> None:
        """Keep the paste here; TextArea's own handler then inserts it as-is, unless
        it looks like one file's path: that is checked (in a thread) and offered.

        Without stop(), a Paste posted straight to the composer bubbles to the
        app, which forwards it to the focused widget again: a double paste.
        """
        if self.read_only:
            return
        event.stop()
        candidate = pasted_path(event.text)
        if candidate is not None:
            event.prevent_default()
            self.run_worker(self._offer_file(candidate, event.text), group="composer-paste")

    async def _offer_file(self, path: Path, text: str) -> None:
        """Post FilePasted when ``path`` is an existing file, else insert the text."""
        try:
            is_file = await asyncio.to_thread(path.is_file)
        except (OSError, ValueError):
            is_file = False
        if is_file:
            self.post_message(self.FilePasted(self, path, text))
        else:
            self.insert_text(text)

    def _on_blur(self, event: events.Blur) -> None:
        """Report the draft when focus leaves, rather than waiting for the timer."""
        self.flush_draft()

    def _stop_draft_timer(self) -> None:
        """Cancel a pending draft report."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None

    @classmethod
    def _placeholder_for(cls, name: str | None) -> str:
        """The placeholder text for a recipient."""
        who = f"Message {name}…" if name else "Message…"
        return f"{who} ({cls.PLACEHOLDER_HINT})"


class AttachButton(Static):
    """The clickable "+" beside the composer: opens the attachment board."""

    DEFAULT_CSS = """
    AttachButton {
        width: 5;
        height: 3;
        content-align: center middle;
        text-style: bold;
        color: $accent;
    }
    AttachButton:hover {
        background: $boost;
    }
    """

    class Pressed(Message):
        """The button was clicked."""

    def __init__(self, *, id: str | None = None) -> None:
        """Create the button."""
        super().__init__("+", id=id)
        self.tooltip = "Attach a file or a place (ctrl+a)"

    def on_click(self, event: events.Click) -> None:
        """Post :class:`Pressed`."""
        event.stop()
        self.post_message(self.Pressed())
