"""Customer-service prompts: rate a session that ended (1–5 stars and a comment), and
leave a message when nobody can answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from imkit_tui.ui.screens.prompts import prompt_css

MAX_STARS = 5


@dataclass(frozen=True, slots=True)
class Rating:
    """What the customer gave: 1–5 stars and a comment."""

    stars: int
    comment: str


class Stars(Static, can_focus=True):
    """Five stars, the first `value` lit: keys 1–5 or left/right, or a click, choose."""

    DEFAULT_CSS = """
    Stars {
        width: auto;
        height: 1;
        color: $warning;
    }
    Stars:focus {
        text-style: bold;
    }
    """

    def __init__(self, value: int, *, id: str | None = None) -> None:
        """Start with `value` stars lit."""
        super().__init__("", id=id)
        self.value = value

    def on_mount(self) -> None:
        """Draw the stars."""
        self.show(self.value)

    def show(self, value: int) -> None:
        """Light the first `value` stars (kept between 1 and 5)."""
        self.value = max(1, min(MAX_STARS, value))
        lit = "★ " * self.value + "☆ " * (MAX_STARS - self.value)
        self.update(Text(f"{lit.rstrip()}  {self.value}/{MAX_STARS}"))

    def on_click(self, event: events.Click) -> None:
        """A click on a star lights it and those before it."""
        if event.x < 2 * MAX_STARS:
            self.show(event.x // 2 + 1)


class RatingScreen(ModalScreen[Rating | None]):
    """Rate the session that ended: stars (1–5, left/right, a click), a comment, Enter
    sends; Esc skips (None)."""

    DEFAULT_CSS = (
        prompt_css("RatingScreen")
        + """
    RatingScreen > Vertical {
        width: 60;
    }
    """
    )

    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(str(n), f"stars({n})", show=False) for n in range(1, MAX_STARS + 1)),
        Binding("left", "more(-1)", show=False),
        Binding("right", "more(1)", show=False),
        Binding("enter", "send", "Send"),
        Binding("escape", "skip", "Skip"),
    ]

    def __init__(self, who: str) -> None:
        """Ask to rate the session with `who` (the agent)."""
        super().__init__()
        self._who = who

    def compose(self) -> ComposeResult:
        """The question, the stars, the comment, the keys."""
        with Vertical():
            yield Label(Text(f"How did {self._who} do?", style="bold"), id="rating-question")
            yield Stars(MAX_STARS, id="rating-stars")
            yield Input(placeholder="a comment (optional)", id="rating-comment")
            yield Label("1–5 stars · tab comment · Enter send · Esc skip", classes="prompt-keys")

    def on_mount(self) -> None:
        """Start on the stars."""
        self.query_one(Stars).focus()

    @property
    def stars(self) -> int:
        """The stars chosen now."""
        return self.query_one(Stars).value

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Digits and arrows choose stars unless the comment is being typed."""
        if action in ("stars", "more") and isinstance(self.focused, Input):
            return False
        return super().check_action(action, parameters)

    def action_stars(self, value: int) -> None:
        """Choose `value` stars."""
        self.query_one(Stars).show(value)

    def action_more(self, step: int) -> None:
        """One star more (or fewer)."""
        self.query_one(Stars).show(self.stars + step)

    @on(Input.Submitted)
    def action_send(self) -> None:
        """Send the rating."""
        comment = self.query_one("#rating-comment", Input).value.strip()
        self.dismiss(Rating(self.stars, comment))

    def action_skip(self) -> None:
        """Close without rating."""
        self.dismiss(None)


class LeaveMessageScreen(ModalScreen[dict[str, str] | None]):
    """Nobody can answer now: a name, a way to be reached and the message; Enter in the
    message leaves it (it needs some text), Esc gives None."""

    DEFAULT_CSS = (
        prompt_css("LeaveMessageScreen")
        + """
    LeaveMessageScreen > Vertical {
        width: 64;
    }
    LeaveMessageScreen #leave-error {
        color: $error;
        height: auto;
    }
    """
    )

    BINDINGS: ClassVar[list[BindingType]] = [("escape", "cancel", "Cancel")]

    def __init__(self, notice: str, name: str = "") -> None:
        """Show `notice` (why), the name field filled with `name`."""
        super().__init__()
        self._notice = notice or "Nobody can answer right now: leave a message."
        self._name = name

    def compose(self) -> ComposeResult:
        """The notice, the three fields, the keys."""
        with Vertical():
            yield Label(Text(self._notice), id="leave-notice")
            yield Input(self._name, placeholder="your name", id="leave-name")
            yield Input(placeholder="how to reach you (mail, phone)", id="leave-contact")
            yield Input(placeholder="your message", id="leave-text")
            yield Label("", id="leave-error")
            yield Label("tab next field · Enter leave it · Esc cancel", classes="prompt-keys")

    def on_mount(self) -> None:
        """Start on the message."""
        self.query_one("#leave-text", Input).focus()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        text = self.query_one("#leave-text", Input).value.strip()
        if not text:
            self.query_one("#leave-error", Label).update("Write a message first.")
            self.query_one("#leave-text", Input).focus()
            return
        fields = {
            "name": self.query_one("#leave-name", Input).value.strip(),
            "contact": self.query_one("#leave-contact", Input).value.strip(),
            "text": text,
        }
        self.dismiss({key: value for key, value in fields.items() if value})

    def action_cancel(self) -> None:
        """Close without leaving anything."""
        self.dismiss(None)
