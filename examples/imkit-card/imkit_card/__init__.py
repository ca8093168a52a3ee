"""An example imkit plugin: ``Example:Card``, a business card with its own bubble.

``setup`` is the entry point (``imkit.plugins`` group, name ``card``): it adds the
message type to the catalogue (flags and list preview) and its bubble to the chat.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from imkit_tui.messages import MessageKind, MessageType

if TYPE_CHECKING:
    from imkit_tui.plugins import PluginRegistry

CARD = "Example:Card"
"""The object name of a card message."""


def _summary(content: object) -> str:
    """``[Card] Carol Chen`` — what the conversation list and notifications show."""
    name = content.get("name") if isinstance(content, dict) else None
    return f"[Card] {name}" if isinstance(name, str) and name.strip() else "[Card]"


CARD_TYPE = MessageType(
    object_name=CARD,
    kind=MessageKind.CONTENT,
    stored=True,
    counted=True,
    pushed=True,
    label="Card",
    fields=("name", "title", "company", "email"),
    summarizer=_summary,
)
"""The card's entry in the message catalogue: stored, counted and pushed like text."""


def card_content(name: str, title: str = "", company: str = "", email: str = "") -> dict[str, Any]:
    """The content of a card message."""
    return {"name": name, "title": title, "company": company, "email": email}


def setup(registry: PluginRegistry) -> None:
    """Register the card's message type and bubble."""
    from imkit_card.bubble import CardBubble

    registry.add_message_type(CARD_TYPE)
    registry.add_bubble(CARD, CardBubble)
