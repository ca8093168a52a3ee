"""The message composer: a multi-line input that sends on Enter.

Keys (each binding has an id, so ``App.set_keymap`` can remap it):

==============================  ======================  ==================================
key                             binding id              effect
==============================  ======================  ==================================
enter                           ``composer.send``       post :class:`Composer.Submitted`
alt+enter, ctrl+j, shift+enter  ``composer.newline``    insert a newline
ctrl+a                          ``composer.attach``     post :class:`Composer.AttachRequested`
ctrl+u / ctrl+k                 ``composer.kill_to_*``  delete to the start / end of the line
tab / shift+tab                 (the app's)             move focus
down / up                       ``composer.mention_*``  while @members are offered: move
tab (or enter)                  ``composer.mention_*``  … insert the highlighted ``@userid``
escape                          ``composer.mention_*``  … close the list
==============================  ======================  ==================================

Every key acts in the order it was typed, however fast keys arrive (a script, a paste
without bracketed paste): Enter sends exactly what the keys before it wrote, and the keys
after escape or tab reach the widget the focus went to, not the composer. ctrl+u and
ctrl+k work on the whole line, however many rows it wraps to. An alt key is never
inserted as its letter (a legacy terminal sends alt+m as ESC m): it reaches the
screen's bindings.

In a group chat (:meth:`Composer.set_mention_members`), ``@`` offers the members in a
:class:`~imkit_tui.ui.widgets.mention_picker.MentionPicker` (given with
:meth:`Composer.use_picker`), filtered as the user types; :class:`Composer.Submitted`
then carries the ids the text mentions, for RongCloud's ``mentionedInfo``.

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
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from rich.cells import cell_len
from textual import events
from textual.binding import Binding, BindingType
from textual.document._document_navigator import DocumentNavigator
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static, TextArea

from imkit_tui.ui.emoji import expand_shortcodes
from imkit_tui.ui.widgets._kinsoku_document import KinsokuWrappedDocument
from imkit_tui.ui.widgets.composer_input import command_name, pasted_path
from imkit_tui.ui.widgets.composer_keys import (
    kill_to_end,
    kill_to_start,
    modified_character,
    run_ancestor_binding,
    run_own_binding,
)
from imkit_tui.ui.widgets.mention_picker import (
    ALL,
    MentionPicker,
    MentionToken,
    matching,
    mentions_in,
    token_before,
)

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

    # None is a priority binding: each runs from _on_key, in its place among the keys
    # typed around it (composer_keys). The @mention keys come first: they act only while
    # members are offered (check_action); otherwise the next binding of the key runs.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "mention_move(1)", show=False, id="composer.mention_next"),
        Binding("up", "mention_move(-1)", show=False, id="composer.mention_previous"),
        Binding("tab", "mention_accept", show=False, id="composer.mention_accept"),
        Binding("escape", "mention_close", show=False, id="composer.mention_close"),
        Binding("enter", "submit", "Send", id="composer.send"),
        Binding(
            "alt+enter,ctrl+j,shift+enter",
            "newline",
            "Newline",
            key_display="^j",
            id="composer.newline",
        ),
        Binding("ctrl+a", "attach", "Attach", id="composer.attach"),
        # Bound again as TextArea binds them: a key bound here replaces its bindings.
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        # readline's, on the logical line (TextArea's stop where the line wraps).
        Binding("ctrl+u", "kill_to_start", show=False, id="composer.kill_to_start"),
        Binding("ctrl+k", "kill_to_end", show=False, id="composer.kill_to_end"),
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
            mentioned: The member ids the text @mentions (group chats only): each
                ``@id`` of a member or of an id picked from the list.
            mention_all: Whether the text says ``@all`` (group chats only).
        """

        def __init__(
            self,
            composer: Composer,
            text: str,
            mentioned: Sequence[str] = (),
            mention_all: bool = False,
        ) -> None:
            super().__init__(composer, text)
            self.mentioned = tuple(mentioned)
            self.mention_all = mention_all

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

    def _set_document(self, text: str, language: str | None) -> None:
        # The draft wraps as the bubbles do: no row starts with "，" (see the module).
        super()._set_document(text, language)
        self.wrapped_document = KinsokuWrappedDocument(self.document, tab_width=self.indent_width)
        self.navigator = DocumentNavigator(self.wrapped_document)
        self._rewrap_and_refresh_virtual_size()

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
        self._recipient: str | None = None
        self._reported_draft = text
        self._draft_key: str | None = None
        self._draft_timer: Timer | None = None
        self._members: tuple[str, ...] | None = None
        self._picked: set[str] = set()
        self._picker: MentionPicker | None = None
        self._closed_at: tuple[int, int] | None = None
        self._handing_off = False

    @property
    def draft_key(self) -> str | None:
        """The key of the draft being edited, as given to :meth:`set_draft`."""
        return self._draft_key

    def set_placeholder(self, name: str | None) -> None:
        """Show "Message <name>… (Enter send · Ctrl+J newline)" when empty.

        Args:
            name: The recipient (person or group) to name, or ``None`` for none.
        """
        self._recipient = name
        self.placeholder = self._placeholder_for(name, self.content_size.width)

    def on_resize(self, event: events.Resize) -> None:
        """Keep the placeholder whole: without the key hint when it would be cut."""
        self.placeholder = self._placeholder_for(self._recipient, self.content_size.width)

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
        self._picked.clear()
        self.load_text(text)
        self.move_cursor(self.document.end)

    def put_text(self, text: str) -> None:
        """Replace the text with `text` (a message to edit, a recalled message's text, what
        an edit set aside), the cursor at its end to type on, as after :meth:`set_draft`."""
        self.load_text(text)
        self.move_cursor(self.document.end)

    def use_picker(self, picker: MentionPicker) -> None:
        """Offer @mentions in `picker` (mounted by the caller, e.g. above the composer)."""
        self._picker = picker
        picker.on_pick = self._accept_mention

    def set_mention_members(self, members: Sequence[str] | None) -> None:
        """Offer these member ids after ``@`` (a group chat), or none at all (`None`:
        not a group chat, nothing is ever mentioned). An empty list (members not known
        yet, or offline) offers nothing, but ``@all`` typed out still mentions all."""
        self._members = None if members is None else tuple(dict.fromkeys(members))
        self._offer_mentions()

    @property
    def mentions_offered(self) -> list[str]:
        """The ids the member list offers now ([] when it is closed)."""
        picker = self._picker
        return picker.offered if picker is not None and picker.is_open else []

    def flush_draft(self) -> None:
        """Post :class:`DraftChanged` now if the draft changed since last reported."""
        self._stop_draft_timer()
        if self.text != self._reported_draft:
            self._reported_draft = self.text
            self.post_message(self.DraftChanged(self, self.text, self._draft_key))

    def action_submit(self) -> None:
        """Send the text (if not blank) as :class:`Submitted`, then clear; while
        @members are offered, insert the highlighted one instead."""
        if self._picker_open():
            self.action_mention_accept()
            return
        if command_name(self.text) is not None:
            self.post_message(self.CommandSubmitted(self, self.text.strip()))
            return
        text = expand_shortcodes(self.text).rstrip()
        if not text.strip():
            return
        mentioned: list[str] = []
        everyone = False
        if self._members is not None:
            mentioned, everyone = mentions_in(text, {*self._members, *self._picked, ALL})
        self.post_message(self.Submitted(self, text, mentioned, everyone))
        self.clear_sent()

    def clear_sent(self) -> None:
        """Empty the composer after a send (undo will not bring the text back)."""
        # load_text rather than clear(): undo must not bring a sent message back.
        self.load_text("")
        self._picked.clear()
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

    def action_kill_to_start(self) -> None:
        """Delete back to the start of the line (ctrl+u): all of a one-line draft,
        however many rows it wraps to."""
        kill_to_start(self)

    def action_kill_to_end(self) -> None:
        """Delete to the end of the line (ctrl+k), wrapped rows included."""
        kill_to_end(self)

    def action_mention_move(self, delta: int) -> None:
        """Move the highlight of the offered @members."""
        if self._picker is not None:
            self._picker.move(delta)

    def action_mention_accept(self) -> None:
        """Insert the highlighted member as ``@userid`` in place of the typed ``@…``."""
        chosen = self._picker.chosen if self._picker is not None else None
        if chosen is not None:
            self._accept_mention(chosen)

    def action_mention_close(self) -> None:
        """Stop offering members for this ``@`` (a new one offers them again)."""
        token = self._token()
        if token is not None:
            self._closed_at = (self.cursor_location[0], token.start)
        if self._picker is not None:
            self._picker.close()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Disable the composer's own actions when read-only, so keys fall through;
        the @mention keys act only while members are offered."""
        if action in ("submit", "newline") and self.read_only:
            return False
        if action.startswith("mention_"):
            return self._picker_open()
        return super().check_action(action, parameters)

    def _picker_open(self) -> bool:
        return self._picker is not None and self._picker.is_open and not self.read_only

    def _token(self) -> MentionToken | None:
        """The ``@…`` just before the cursor (no selection), if any."""
        start, end = self.selection
        if start != end:
            return None
        row, column = end
        return token_before(self.document.get_line(row)[:column])

    def _offer_mentions(self) -> None:
        """Open, filter or close the member list for what is typed before the cursor."""
        picker = self._picker
        if picker is None:
            return
        token = self._token() if self._members and not self.read_only else None
        if token is None:
            self._closed_at = None
            picker.close()
            return
        if self._closed_at == (self.cursor_location[0], token.start):
            return
        self._closed_at = None
        found = matching(self._members or (), token.query)
        if found:
            picker.offer(found)
        else:
            picker.close()

    def _accept_mention(self, user_id: str) -> None:
        token = self._token()
        if token is None:
            return
        row, column = self.cursor_location
        result = self.replace(
            f"@{user_id} ", (row, token.start), (row, column), maintain_selection_offset=False
        )
        self.move_cursor(result.end_location)
        self._picked.add(user_id)
        if self._picker is not None:
            self._picker.close()
        self.focus()

    async def _on_key(self, event: events.Key) -> None:
        """Run the composer's bindings here, in order with the characters typed around
        them (see :mod:`~imkit_tui.ui.widgets.composer_keys`); TextArea inserts the rest.
        A key that is not text runs the screen's binding here too (escape, tab); an alt
        or ctrl key with a character is never inserted (alt+m)."""
        if self._handing_off:
            # Typed after a key that moved focus or opened a screen: for the app to route.
            event.stop()
            event.prevent_default()
            self.app.post_message(events.Key(event.key, event.character))
            return
        # The member list follows edits on TextArea.Changed, which is queued behind
        # these keys: bring it up to date for the @mention keys (not for text, which
        # only edits and is followed by Changed).
        if not event.is_printable:
            self._offer_mentions()
        if await run_own_binding(self, event):
            event.stop()
            event.prevent_default()
        elif event.is_printable and not modified_character(event):
            return  # text: TextArea inserts it
        elif await run_ancestor_binding(self, event):
            event.stop()
            event.prevent_default()
            self._hand_off()
        else:
            event.prevent_default()

    def _hand_off(self) -> None:
        """Give the keys already queued here back to the app, up to the point where the
        app has applied what the binding just did (a focus change happens later)."""
        self._handing_off = True
        self.app.call_later(self.call_later, self._end_hand_off)

    def _end_hand_off(self) -> None:
        self._handing_off = False

    def _on_text_area_selection_changed(self, event: TextArea.SelectionChanged) -> None:
        """Follow the cursor: the member list is for the ``@…`` just before it."""
        if event.text_area is self:
            self._offer_mentions()

    def _on_text_area_changed(self, event: TextArea.Changed) -> None:
        """Restart the draft timer; the event still bubbles to the app."""
        if event.text_area is not self:
            return
        self._offer_mentions()
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
    def _placeholder_for(cls, name: str | None, width: int = 0) -> str:
        """The placeholder text for a recipient, the key hint only if it fits in
        ``width`` cells (0: not known yet)."""
        who = f"Message {name}…" if name else "Message…"
        full = f"{who} ({cls.PLACEHOLDER_HINT})"
        return full if not width or cell_len(full) <= width else who


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
