"""The message composer: a multi-line input that sends on Enter.

Keys (each binding has an id, so ``App.set_keymap`` can remap it):

==============================  ======================  ==================================
key                             binding id              effect
==============================  ======================  ==================================
enter                           ``composer.send``       post :class:`Composer.Submitted`
alt+enter, ctrl+j, shift+enter  ``composer.newline``    insert a newline
tab / shift+tab                 (the app's)             move focus
==============================  ======================  ==================================

Terminals differ: with the kitty keyboard protocol (kitty, WezTerm, foot, Ghostty,
recent iTerm2…) Textual reports alt+enter and shift+enter as such; legacy terminals
send alt+enter as ESC CR, which Textual 8 reports as a plain ``enter`` (it would
send), and shift+enter as plain ``enter``. ctrl+j (a line feed) works everywhere.

A bracketed paste arrives as one :class:`textual.events.Paste` and is inserted as-is,
newlines included, without sending.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.timer import Timer
from textual.widgets import TextArea

from imkit_tui.ui.emoji import expand_shortcodes

__all__ = ["Composer"]


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
    ]

    # ctrl+j, not alt+enter: in terminals without the kitty protocol alt+enter arrives
    # as a plain enter, which sends.
    PLACEHOLDER_HINT = "Enter send · Ctrl+J newline"
    """The key hint shown in the placeholder, after the recipient's name."""

    class Submitted(Message):
        """The user pressed Enter on a non-blank message.

        Attributes:
            composer: The composer that sent it (already cleared).
            text: The text, shortcodes expanded and trailing whitespace stripped;
                never empty.
        """

        def __init__(self, composer: Composer, text: str) -> None:
            super().__init__()
            self.composer = composer
            self.text = text

        @property
        def control(self) -> Composer:
            """The composer that sent the message."""
            return self.composer

    class DraftChanged(Message):
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
            super().__init__()
            self.composer = composer
            self.text = text
            self.key = key

        @property
        def control(self) -> Composer:
            """The composer that sent the message."""
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
        text = expand_shortcodes(self.text).rstrip()
        if not text.strip():
            return
        self.post_message(self.Submitted(self, text))
        # load_text rather than clear(): undo must not bring a sent message back.
        self.load_text("")
        self.flush_draft()

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
        """Keep the paste here; TextArea's own handler then inserts it as-is.

        Without stop(), a Paste posted straight to the composer bubbles to the
        app, which forwards it to the focused widget again: a double paste.
        """
        if not self.read_only:
            event.stop()

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
