"""The card's bubble: name, title and company, e-mail."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from imkit_tui.core import Message
from imkit_tui.ui.bubbles import Bubble


def _field(content: dict[str, object], key: str) -> str:
    value = content.get(key, "")
    if not isinstance(value, str):
        raise ValueError(f"card field {key!r} is not text")
    return " ".join(value.split())[:120]


class CardBubble(Bubble):
    """A business card. Raises ValueError for content without a name (the app then
    shows its "unsupported message" bubble instead)."""

    def read_content(self, message: Message) -> None:
        """Read the card from the message's content (the constructor calls this)."""
        content = message.content
        self.person = _field(content, "name")
        if not self.person:
            raise ValueError("a card needs a name")
        self.title = _field(content, "title")
        self.company = _field(content, "company")
        self.email = _field(content, "email")

    def render_body(self) -> RenderableType:
        """👤 name, then title · company, then the e-mail."""
        text = Text()
        text.append("👤 ")
        text.append(self.person, style="bold")
        role = " · ".join(part for part in (self.title, self.company) if part)
        if role:
            text.append(f"\n   {role}")
        if self.email:
            text.append(f"\n   ✉ {self.email}", style="underline")
        return text
