"""Plugin entry points used by tests/test_plugins.py: good ones and broken ones."""

from __future__ import annotations

from imkit_tui import messages
from imkit_tui.messages import MessageKind, MessageType
from imkit_tui.plugins import PluginRegistry
from imkit_tui.ui.bubbles import SummaryBubble

NOT_CALLABLE = "a string is not a setup function"


def explode(registry: PluginRegistry) -> None:
    """A plugin whose setup fails."""
    raise RuntimeError("the plugin exploded")


def clash_with_text(registry: PluginRegistry) -> None:
    """A plugin that tries to take the text bubble without saying replace."""
    registry.add_bubble(messages.TEXT, SummaryBubble)


def _poll_summary(content: object) -> str:
    question = content.get("question") if isinstance(content, dict) else None
    return f"[Poll] {question}" if isinstance(question, str) else "[Poll]"


def register_poll(registry: PluginRegistry) -> None:
    """A well-behaved plugin: a poll message shown by its summary."""
    registry.add_message_type(
        MessageType(
            object_name="Sample:Poll",
            kind=MessageKind.CONTENT,
            stored=True,
            counted=True,
            pushed=True,
            label="Poll",
            fields=("question",),
            summarizer=_poll_summary,
        )
    )
    registry.add_bubble("Sample:Poll", SummaryBubble)
