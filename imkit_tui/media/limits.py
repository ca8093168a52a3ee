"""Size and length limits of attachments, shared by the sender, the receiver and the UI.

They follow RongCloud's IMKit defaults. Read them as ``limits.NAME`` at call time
(rather than importing the names) wherever a test or a setting may lower them.
"""

from __future__ import annotations

IMAGE_MAX_BYTES = 20 * 1024 * 1024
"""The largest picture that can be sent, in bytes."""

GIF_MAX_BYTES = 10 * 1024 * 1024
"""The largest animated GIF that can be sent, in bytes."""

FILE_MAX_BYTES = 100 * 1024 * 1024
"""The largest file attachment, in bytes."""

VIDEO_MAX_BYTES = 100 * 1024 * 1024
"""The largest short video, in bytes."""

VOICE_MAX_SECONDS = 60
"""The longest voice message, in seconds."""

VIDEO_MAX_SECONDS = 120
"""The longest short video, in seconds."""

THUMBNAIL_MAX_SIDE = 240
"""The longest side of a thumbnail carried inside message content, in pixels."""

THUMBNAIL_MAX_BYTES = 64 * 1024
"""The largest JPEG thumbnail carried (base64-encoded) inside message content, in bytes."""

MAX_PIXELS = 50_000_000
"""The most pixels any decode accepts: a guard against decompression bombs."""
