"""Forwarding: one by one (each message copied), or merged into one "Chat history" message.

A merged forward (RC:CombineMsg) is stored as an HTML file, as the service does: people
can open it in a browser, and it embeds the forwarded messages as JSON so a client can
show them again as bubbles. The message content carries the names of the people in it
and its first lines, so the card needs no download.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from imkit_tui import messages
from imkit_tui.core.message_files import LOCAL_PATH, media_url_of, wire_content
from imkit_tui.core.models import Message, SendStatus
from imkit_tui.protocol.media import media_in, media_url

SUMMARY_LINES = 4
"""Lines of a merged forward shown on its card."""

MAX_FORWARD = 100
"""The most messages forwarded in one go, as IMKit allows."""

_SCRIPT_ID = "imkit-messages"


class ForwardError(ValueError):
    """These messages cannot be forwarded; the message says why."""


@dataclass(frozen=True, slots=True)
class ForwardedMessage:
    """One message inside a merged forward."""

    sender: str
    object_name: str
    content: dict[str, Any]
    sent_at: int


def check_forwardable(chosen: Sequence[Message]) -> list[Message]:
    """Return the messages in order, or raise ForwardError (none, too many, unsent, notices)."""
    if not chosen:
        raise ForwardError("Choose at least one message to forward")
    if len(chosen) > MAX_FORWARD:
        raise ForwardError(f"At most {MAX_FORWARD} messages can be forwarded at once")
    ordered = sorted(chosen, key=lambda m: (m.sent_at, m.id))
    for message in ordered:
        if message.status in (SendStatus.SENDING, SendStatus.FAILED):
            raise ForwardError("A message that was not sent cannot be forwarded")
        kind = messages.lookup(message.object_name).kind
        if kind != messages.MessageKind.CONTENT:
            raise ForwardError("Notices cannot be forwarded")
        if (
            message.object_name in _NEEDS_URL
            and media_url_of(message.object_name, message.content) is None
        ):
            raise ForwardError("A file that was not uploaded cannot be forwarded")
    return ordered


_NEEDS_URL = frozenset(
    {messages.IMAGE, messages.GIF, messages.VOICE, messages.SIGHT, messages.FILE, messages.COMBINE}
)


def forward_content(message: Message) -> dict[str, Any]:
    """The content of a one-by-one forward of ``message``: the same, minus local fields."""
    return wire_content(message.content)


def summary_line(sender: str, object_name: str, content: object) -> str:
    """``alice: hello`` — one line of a merged forward's card."""
    return f"{sender}: {messages.summarize(object_name, content)}"


def combine_content(chosen: Sequence[Message], conversation_type: int) -> dict[str, Any]:
    """The RC:CombineMsg content for ``chosen`` (its file URL is filled in after upload)."""
    names: list[str] = []
    for message in chosen:
        if message.sender not in names:
            names.append(message.sender)
    lines = [summary_line(m.sender, m.object_name, m.content) for m in chosen[:SUMMARY_LINES]]
    # The files inside are named too, so those the forward reaches may fetch them.
    inside = sorted(set().union(*(media_in(wire_content(m.content)) for m in chosen)))
    return {
        "remoteUrl": "",
        "conversationType": conversation_type,
        "nameList": names[:SUMMARY_LINES],
        "summaryList": lines,
        "messageCount": len(chosen),
        "mediaUrls": [media_url(digest) for digest in inside],
    }


def combine_html(chosen: Sequence[Message], title: str = "Chat history") -> str:
    """The HTML file of a merged forward: readable in a browser, with the messages as JSON."""
    payload = [
        {
            "sender": m.sender,
            "objectName": m.object_name,
            "content": {k: v for k, v in m.content.items() if k != LOCAL_PATH},
            "sentAt": m.sent_at,
        }
        for m in chosen
    ]
    embedded = json.dumps(payload, ensure_ascii=False).replace("</", "<\\/")
    rows = "\n".join(
        "<p><b>{}</b> <small>{}</small><br>{}</p>".format(
            html.escape(m.sender),
            datetime.fromtimestamp(m.sent_at / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC"),
            html.escape(messages.summarize(m.object_name, m.content)),
        )
        for m in chosen
    )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body>\n<h1>{html.escape(title)}</h1>\n"
        f'{rows}\n<script type="application/json" id="{_SCRIPT_ID}">{embedded}</script>\n'
        "</body></html>\n"
    )


def read_combined(text: str) -> list[ForwardedMessage]:
    """The messages of a merged-forward HTML file; raises ForwardError when it has none."""
    start_tag = f'<script type="application/json" id="{_SCRIPT_ID}">'
    start = text.find(start_tag)
    end = text.find("</script>", start + len(start_tag)) if start >= 0 else -1
    if start < 0 or end < 0:
        raise ForwardError("This chat history has no messages imkit can read")
    try:
        payload = json.loads(text[start + len(start_tag) : end])
    except ValueError:
        raise ForwardError("This chat history is damaged") from None
    found: list[ForwardedMessage] = []
    for item in payload if isinstance(payload, list) else []:
        if not isinstance(item, dict):
            continue
        sender, name = item.get("sender"), item.get("objectName")
        content, sent_at = item.get("content"), item.get("sentAt")
        if not (isinstance(sender, str) and isinstance(name, str) and name):
            continue
        found.append(
            ForwardedMessage(
                sender=sender,
                object_name=name,
                content=content if isinstance(content, dict) else {},
                sent_at=sent_at if isinstance(sent_at, int) else 0,
            )
        )
    if not found:
        raise ForwardError("This chat history has no messages imkit can read")
    return found
