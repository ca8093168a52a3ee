"""The demo workspace's customer service: an account whose robot answers questions about
imkit itself (its agent, `support`, is not online in the demo: asking for a person
offers to leave a message). A `[customer_service]` table in the config file replaces it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from imkit_tui.server.customer_service.faq import Faq, FaqEntry
from imkit_tui.server.customer_service.settings import (
    CustomerServiceSettings,
    settings_from_table,
)

DEMO_ACCOUNT = "imkit-help"
DEMO_AGENT = "support"

IMKIT_FAQ = Faq(
    [
        FaqEntry(
            "How do I start a new chat?",
            "Press ctrl+n and type a user id, or pick a contact from the palette (ctrl+p).",
            ("new", "start", "chat", "contact"),
        ),
        FaqEntry(
            "How do I send a picture or a file?",
            "Press + beside the composer (or ctrl+a) and choose Image or File, then the path.",
            ("file", "picture", "image", "photo", "attach", "send"),
        ),
        FaqEntry(
            "How do I recall a message?",
            "Select your message and press x within the recall window (2 minutes by default).",
            ("recall", "undo", "unsend", "delete"),
        ),
        FaqEntry(
            "How do I make a group?",
            "Open the palette (ctrl+p) and choose New group; name it and add members.",
            ("group", "members", "team"),
        ),
        FaqEntry(
            "How do I search my messages?",
            "Press ctrl+f: every word you type must match; Chinese is found by any part.",
            ("search", "find"),
        ),
        FaqEntry(
            "Where is my data kept?",
            "In your data folder (IMKIT_HOME if set): a SQLite store per account, and the "
            "embedded server's store beside it. Nothing leaves your machine.",
            ("data", "stored", "privacy", "folder", "where"),
        ),
        FaqEntry(
            "How do I change the theme?",
            "Open the palette (ctrl+p) and type theme: the choice is remembered.",
            ("theme", "colour", "color", "dark", "light"),
        ),
        FaqEntry(
            "How do I run my own server?",
            "Run imkit serve, then imkit token USER for each user, and start imkit with "
            "--server and --token. The README has the Server API and the config keys.",
            ("server", "serve", "token", "host"),
        ),
    ]
)
"""What the demo robot knows: imkit itself."""


def demo_customer_service() -> CustomerServiceSettings:
    """The demo's customer-service account, robot first."""
    return CustomerServiceSettings(
        account=DEMO_ACCOUNT,
        name="imkit help",
        faq=IMKIT_FAQ,
        agents=(DEMO_AGENT,),
        welcome='Hello! I answer questions about imkit. Ask away, or say "talk to a human".',
    )


def embedded_customer_service(table: Mapping[str, Any], base: Path) -> CustomerServiceSettings:
    """The embedded server's account: the config file's `[customer_service]` table when
    it has one (`base`: its folder), else the demo's."""
    return settings_from_table(table, base) if table else demo_customer_service()
