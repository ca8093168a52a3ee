"""Small modal prompts: send a pasted file?, yes/no questions, a line of text, a bubble's
actions menu."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

_PROMPT_CSS = """
{name} {{
    align: center middle;
}}
{name} > Vertical {{
    width: auto;
    max-width: 80%;
    min-width: 40;
    height: auto;
    padding: 1 2;
    background: $surface;
    border: round $primary;
}}
{name} Label {{
    max-width: 100%;
}}
{name} .prompt-keys {{
    color: $text-muted;
    margin-top: 1;
}}
"""


def prompt_css(name: str) -> str:
    """The CSS every small prompt shares, for the modal screen class `name`."""
    return _PROMPT_CSS.format(name=name)


class PasteOfferScreen(ModalScreen[bool]):
    """ "Send photo.png as an image? Enter send · Esc paste as text" → True to send."""

    DEFAULT_CSS = _PROMPT_CSS.format(name="PasteOfferScreen")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,y", "answer(True)", "Send", priority=True),
        Binding("escape,n", "answer(False)", "Paste as text", priority=True),
    ]

    def __init__(self, file_name: str, kind_name: str) -> None:
        """Ask about ``file_name``, to be sent as ``kind_name`` ("an image")."""
        super().__init__()
        self._question = f"Send {file_name} as {kind_name}?"

    def compose(self) -> ComposeResult:
        """The question and the keys."""
        with Vertical():
            yield Label(Text(self._question), id="paste-question")
            yield Label("Enter send · Esc paste as text", classes="prompt-keys")

    def action_answer(self, send: bool) -> None:
        """Close with the answer."""
        self.dismiss(send)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question: Enter (or y) says yes, Esc (or n) no."""

    DEFAULT_CSS = _PROMPT_CSS.format(name="ConfirmScreen")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,y", "answer(True)", "Yes", priority=True),
        Binding("escape,n", "answer(False)", "No", priority=True),
    ]

    def __init__(self, question: str, keys: str = "Enter yes · Esc no") -> None:
        """Ask ``question``; ``keys`` describes the answers."""
        super().__init__()
        self._question = question
        self._keys = keys

    def compose(self) -> ComposeResult:
        """The question and the keys."""
        with Vertical():
            yield Label(Text(self._question), id="confirm-question")
            yield Label(self._keys, classes="prompt-keys")

    def action_answer(self, yes: bool) -> None:
        """Close with the answer."""
        self.dismiss(yes)


def _anything(text: str) -> str | None:
    return None if text else "Type something first."


class TextPromptScreen(ModalScreen[str | None]):
    """Asks for a line of text: Enter gives it (stripped) once ``check`` finds nothing
    wrong with it, Esc gives None."""

    DEFAULT_CSS = (
        _PROMPT_CSS.format(name="TextPromptScreen")
        + """
    TextPromptScreen > Vertical {
        width: 60;
    }
    TextPromptScreen #prompt-error {
        color: $error;
        height: auto;
    }
    """
    )

    BINDINGS: ClassVar[list[BindingType]] = [("escape", "cancel", "Cancel")]

    def __init__(
        self,
        question: str,
        *,
        placeholder: str = "",
        value: str = "",
        check: Callable[[str], str | None] = _anything,
    ) -> None:
        """Ask ``question``; ``check`` returns what is wrong with an answer, or None."""
        super().__init__()
        self._question = question
        self._placeholder = placeholder
        self._value = value
        self._check = check

    def compose(self) -> ComposeResult:
        """The question, the input, a line for what is wrong, the keys."""
        with Vertical():
            yield Label(Text(self._question), id="prompt-question")
            yield Input(self._value, placeholder=self._placeholder, id="prompt-input")
            yield Label("", id="prompt-error")
            yield Label("Enter OK · Esc cancel", classes="prompt-keys")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        answer = event.value.strip()
        wrong = self._check(answer)
        if wrong is None:
            self.dismiss(answer)
        else:
            self.query_one("#prompt-error", Label).update(Text(wrong))

    def action_cancel(self) -> None:
        """Close without an answer."""
        self.dismiss(None)


class ActionMenuScreen(ModalScreen[str | None]):
    """A menu of ``(action, label)`` entries; closes with the chosen action's name."""

    DEFAULT_CSS = (
        _PROMPT_CSS.format(name="ActionMenuScreen")
        + """
    ActionMenuScreen OptionList {
        height: auto;
        max-height: 16;
        width: auto;
        min-width: 30;
        border: none;
    }
    """
    )

    BINDINGS: ClassVar[list[BindingType]] = [("escape", "cancel", "Close")]

    def __init__(self, title: str, entries: list[tuple[str, str]]) -> None:
        """List ``entries`` under ``title``."""
        super().__init__()
        self._title = title
        self._entries = entries

    def compose(self) -> ComposeResult:
        """The title and the entries."""
        with Vertical():
            yield Label(Text(self._title, style="bold"))
            yield OptionList(
                *(Option(label, id=action) for action, label in self._entries),
                id="action-menu",
            )

    def on_mount(self) -> None:
        """Start on the first entry."""
        options = self.query_one(OptionList)
        options.focus()
        if self._entries:
            options.highlighted = 0

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        """Close without choosing."""
        self.dismiss(None)
