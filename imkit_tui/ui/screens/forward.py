"""The forward dialog: choose conversations, one by one or merged, and confirm.

Typing filters the conversations (a user id that matches none is offered as a new
private chat); space or Enter in the list (or a click) selects targets; the mode is
"One by one" (each message copied) or "Merged" (one "Chat history" message). ctrl+s
or the Forward button confirms, Esc cancels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, SelectionList
from textual.widgets.selection_list import Selection

from imkit_tui.core import Conversation
from imkit_tui.protocol import ConversationType, ConvRef
from imkit_tui.ui.format import is_user_id


@dataclass(frozen=True, slots=True)
class ForwardChoice:
    """Where to forward, and how."""

    targets: list[ConvRef]
    merged: bool


class ForwardScreen(ModalScreen[ForwardChoice | None]):
    """Choose the targets of a forward of ``count`` messages."""

    DEFAULT_CSS = """
    ForwardScreen {
        align: center middle;
    }
    ForwardScreen > Vertical {
        width: 70;
        max-width: 95%;
        height: 80%;
        padding: 0 1;
        background: $surface;
        border: round $primary;
    }
    ForwardScreen SelectionList {
        height: 1fr;
    }
    ForwardScreen RadioSet {
        layout: horizontal;
        width: auto;
        height: auto;
    }
    ForwardScreen RadioSet > RadioButton {
        width: auto;
        margin-right: 2;
    }
    ForwardScreen #forward-bottom {
        height: auto;
    }
    ForwardScreen #forward-send {
        margin-left: 2;
    }
    ForwardScreen #forward-error {
        color: $error;
        height: auto;
    }
    ForwardScreen .form-keys {
        color: $text-muted;
        width: 100%;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "confirm", "Forward", priority=True),
    ]

    def __init__(
        self,
        count: int,
        conversations: Sequence[Conversation],
        *,
        names: Callable[[ConvRef], str],
        merge_allowed: bool = True,
    ) -> None:
        """Forward ``count`` messages to some of ``conversations`` (named by ``names``)."""
        super().__init__()
        self._count = count
        self._names = names
        self._merge_allowed = merge_allowed
        self._refs = {
            row.ref.key: row.ref for row in conversations if row.ref.type != ConversationType.SYSTEM
        }
        self._typed: dict[str, ConvRef] = {}
        self._chosen: dict[str, ConvRef] = {}
        self._visible: set[str] = set()

    def compose(self) -> ComposeResult:
        """Filter, list, mode, confirm."""
        what = "1 message" if self._count == 1 else f"{self._count} messages"
        with Vertical() as box:
            box.border_title = f"Forward {what} to…"
            yield Input(placeholder="Filter, or type a user id", id="forward-filter")
            yield SelectionList[str](id="forward-targets")
            with Horizontal(id="forward-bottom"):
                with RadioSet(id="forward-mode"):
                    yield RadioButton("One by one", value=True, id="forward-one-by-one")
                    yield RadioButton(
                        "Merged", id="forward-merged", disabled=not self._merge_allowed
                    )
                yield Button("Forward", id="forward-send", variant="primary", compact=True)
            yield Label("", id="forward-error")
            yield Label(
                "type to filter · ↓ list · space select · ctrl+s forward · esc cancel",
                classes="form-keys",
            )

    def on_mount(self) -> None:
        """Show every conversation; focus the filter."""
        self._show("")
        self.query_one("#forward-filter", Input).focus()

    @property
    def chosen(self) -> list[ConvRef]:
        """The selected targets, in the order they were chosen."""
        return list(self._chosen.values())

    @property
    def merged(self) -> bool:
        """Whether "Merged" is chosen."""
        return self.query_one("#forward-merged", RadioButton).value

    def _show(self, text: str) -> None:
        needle = text.strip().lower()
        targets = self.query_one("#forward-targets", SelectionList)
        options: list[Selection[str]] = []
        shown: set[str] = set()
        for key, ref in self._refs.items():
            name = self._names(ref)
            if needle and needle not in name.lower() and needle not in ref.target.lower():
                continue
            options.append(Selection(Text(name), key, key in self._chosen))
            shown.add(key)
        typed = ConvRef.private(text.strip()) if is_user_id(text.strip()) else None
        if typed is not None and typed.key not in self._refs:
            self._typed[typed.key] = typed
            chosen = typed.key in self._chosen
            options.insert(0, Selection(Text(f"{typed.target} (new chat)"), typed.key, chosen))
            shown.add(typed.key)
        self._visible = shown
        targets.clear_options()
        targets.add_options(options)
        if options:
            targets.highlighted = 0

    @on(Input.Changed, "#forward-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._show(event.value)

    @on(Input.Submitted, "#forward-filter")
    def _to_list(self, event: Input.Submitted) -> None:
        event.stop()
        targets = self.query_one("#forward-targets", SelectionList)
        if targets.option_count == 1 and not targets.selected:
            targets.select_all()
        targets.focus()

    @on(SelectionList.SelectedChanged)
    def _selected(self, event: SelectionList.SelectedChanged[str]) -> None:
        selected = set(event.selection_list.selected)
        for key in self._visible:
            if key in selected:
                self._chosen.setdefault(key, self._refs.get(key) or self._typed[key])
            else:
                self._chosen.pop(key, None)
        self.query_one("#forward-error", Label).update("")

    @on(Button.Pressed, "#forward-send")
    def _send_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_confirm()

    def action_confirm(self) -> None:
        """Close with the choice, when at least one target is selected."""
        if not self._chosen:
            self.query_one("#forward-error", Label).update("Select at least one conversation")
            return
        self.dismiss(ForwardChoice(self.chosen, self.merged))

    def action_cancel(self) -> None:
        """Close without forwarding."""
        self.dismiss(None)
