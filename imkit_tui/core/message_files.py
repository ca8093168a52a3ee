"""Which content fields of a message point at its file, and which stay on this device.

Light on purpose (no Pillow, no file access): the store and the outbox use it for every
message, while preparing an attachment (``core.attachments``) is only needed when one is sent.
"""

from __future__ import annotations

from typing import Any

from imkit_tui import messages

LOCAL_PATH = "localPath"
"""Content field holding the sender's own copy of the file; never sent to the server."""

URL_FIELDS: dict[str, str] = {
    messages.IMAGE: "imageUri",
    messages.GIF: "remoteUrl",
    messages.VOICE: "remoteUrl",
    messages.VOICE_LEGACY: "remoteUrl",
    messages.SIGHT: "sightUrl",
    messages.FILE: "fileUrl",
    messages.COMBINE: "remoteUrl",
}
"""Which content field holds the URL of the message's file, by object name."""


def media_url_of(object_name: str, content: dict[str, Any]) -> str | None:
    """The URL of a message's file, or None when the type has none or it is not set."""
    field = URL_FIELDS.get(object_name)
    value = content.get(field) if field is not None else None
    return value if isinstance(value, str) and value else None


def wire_content(content: dict[str, Any]) -> dict[str, Any]:
    """The content as sent: without the sender's local path."""
    if LOCAL_PATH not in content:
        return content
    return {key: value for key, value in content.items() if key != LOCAL_PATH}
