"""The demo's pictures, sounds and files: made on the spot, so the package ships no binaries.

Each is sent by a demo contact the first time the embedded server starts, so a new user
sees every kind of bubble at once: a picture, a voice message, a file, a place, a call.
"""

from __future__ import annotations

import math
import struct
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imkit_tui import messages as catalogue
from imkit_tui.media.probe import MediaKind


@dataclass(frozen=True, slots=True)
class DemoFile:
    """A file a demo contact sends, as a message of `kind`."""

    sender: str
    path: Path
    kind: MediaKind


@dataclass(frozen=True, slots=True)
class DemoMessage:
    """A message a demo contact sends as it is (a place, a call summary)."""

    sender: str
    object_name: str
    content: dict[str, Any]


def mockup_png(path: Path) -> Path:
    """A small app mock-up: a gradient header, a sidebar and three cards."""
    from PIL import Image, ImageDraw

    width, height = 320, 200
    image = Image.new("RGB", (width, height), (245, 246, 250))
    draw = ImageDraw.Draw(image)
    for x in range(width):
        shade = int(90 + 100 * x / width)
        draw.line([(x, 0), (x, 34)], fill=(40, shade, 200))
    draw.rectangle([0, 35, 70, height], fill=(225, 228, 238))
    colours = [(255, 170, 90), (110, 200, 150), (240, 110, 130)]
    for index, colour in enumerate(colours):
        left = 88 + index * 76
        draw.rounded_rectangle([left, 56, left + 64, 176], radius=8, fill=colour)
        draw.rectangle([left + 8, 150, left + 56, 158], fill=(255, 255, 255))
    for row in range(5):
        draw.rectangle([10, 50 + row * 26, 60, 60 + row * 26], fill=(150, 156, 175))
    image.save(path, format="PNG")
    return path


def voice_wav(path: Path, seconds: float = 4.0, rate: int = 8000) -> Path:
    """A short spoken-like sound: a pitch that rises and falls, in syllables."""
    frames = bytearray()
    for i in range(int(seconds * rate)):
        t = i / rate
        syllable = abs(math.sin(math.pi * t * 2.5))
        pitch = 180 + 60 * math.sin(2 * math.pi * t * 0.7)
        frames += struct.pack("<h", int(9000 * syllable * math.sin(2 * math.pi * pitch * t)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return path


def spec_markdown(path: Path) -> Path:
    """A short design brief, sent as a file."""
    path.write_text(
        "# Release brief\n\n- New conversation list\n- Bubbles for every message type\n"
        "- Ship on Friday\n",
        encoding="utf-8",
    )
    return path


def demo_files(folder: Path) -> list[DemoFile]:
    """Make the demo's files in `folder` and say who sends each (blocking: use a thread)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        DemoFile("alice", mockup_png(folder / "mockup.png"), MediaKind.IMAGE),
        DemoFile("bob", voice_wav(folder / "voice-note.wav"), MediaKind.VOICE),
        DemoFile("alice", spec_markdown(folder / "release-brief.md"), MediaKind.FILE),
    ]


def demo_messages() -> list[DemoMessage]:
    """Messages sent as they are: a meeting place and a call summary."""
    return [
        DemoMessage(
            "bob",
            catalogue.LOCATION,
            {"latitude": 31.2304, "longitude": 121.4737, "poi": "People's Square, Shanghai"},
        ),
        DemoMessage(
            "alice", catalogue.CALL_HANGUP, {"callId": "demo", "mediaType": 1, "duration": 192_000}
        ),
    ]
