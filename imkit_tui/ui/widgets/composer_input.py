"""What the composer understands besides text: slash commands and pasted file paths.

Pure parsing, no I/O: whether a path exists is for the caller to find out (in a thread).

=====================================  ==============================================
command                                sends
=====================================  ==============================================
``/image PATH``                        a picture (a GIF stays animated)
``/file PATH``                         any file
``/voice PATH``                        an audio clip of at most 60 seconds
``/video PATH``                        a video of at most 2 minutes
``/location LAT LON [NAME]``           a place
``/to USER[,USER…] TEXT``               text only those group members receive
``/help``                              lists these commands
=====================================  ==============================================

``PATH`` may be quoted, start with ``~`` or be a ``file://`` URL. Any other text that
starts with ``/`` is sent as text.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from imkit_tui.media.probe import MediaKind

FILE_COMMANDS: dict[str, MediaKind] = {
    "image": MediaKind.IMAGE,
    "file": MediaKind.FILE,
    "voice": MediaKind.VOICE,
    "video": MediaKind.VIDEO,
}
"""The commands that send a file, and the kind each sends it as."""

COMMANDS: tuple[str, ...] = (*FILE_COMMANDS, "location", "to", "help")
"""Every command name (without the slash)."""

HELP = (
    "/image PATH · /file PATH · /voice PATH · /video PATH · /location LAT LON [NAME] · "
    "/to USER,USER TEXT (in a group: only they receive it) · /help — ctrl+a (or +) "
    "opens the attachment board; paste a file's path to send it"
)
"""The help text shown for ``/help``."""

KIND_NAMES: dict[MediaKind, str] = {
    MediaKind.IMAGE: "an image",
    MediaKind.GIF: "a GIF",
    MediaKind.VOICE: "a voice message",
    MediaKind.VIDEO: "a video",
    MediaKind.FILE: "a file",
}
"""How each kind is named in prompts ("Send photo.png as an image?")."""

_MAX_PASTED_PATH = 4096
_QUOTES = ("'", '"')


class CommandError(ValueError):
    """A command is malformed; the message says how to write it."""


@dataclass(frozen=True, slots=True)
class FileCommand:
    """``/image``, ``/file``, ``/voice`` or ``/video`` with its path."""

    kind: MediaKind
    path: Path


@dataclass(frozen=True, slots=True)
class LocationCommand:
    """``/location`` with its coordinates and optional name."""

    latitude: float
    longitude: float
    name: str = ""


@dataclass(frozen=True, slots=True)
class TargetedCommand:
    """``/to USER[,USER…] TEXT``: a group message only those members receive."""

    recipients: tuple[str, ...]
    text: str


@dataclass(frozen=True, slots=True)
class HelpCommand:
    """``/help``."""


ComposerCommand = FileCommand | LocationCommand | TargetedCommand | HelpCommand
"""A parsed command."""


def command_name(text: str) -> str | None:
    """The command ``text`` starts with (one of :data:`COMMANDS`), else None."""
    match = re.match(r"/([a-z]+)(?:\s|$)", text.strip())
    if match is None or match.group(1) not in COMMANDS:
        return None
    return match.group(1)


def parse_command(text: str) -> ComposerCommand:
    """Parse a command line; raises CommandError when malformed or not a command."""
    name = command_name(text)
    if name is None:
        raise CommandError(f"Not a command: {text.strip()[:40]}")
    argument = text.strip()[len(name) + 1 :].strip()
    if name == "help":
        return HelpCommand()
    if name == "location":
        return _location(argument)
    if name == "to":
        return _targeted(argument)
    if not argument:
        raise CommandError(f"Usage: /{name} PATH")
    return FileCommand(FILE_COMMANDS[name], path_argument(argument))


def _targeted(argument: str) -> TargetedCommand:
    usage = "Usage: /to USER[,USER…] TEXT, e.g. /to bob,carol see you at 5"
    who, _, text = argument.partition(" ")
    recipients = tuple(dict.fromkeys(name.lstrip("@") for name in who.split(",") if name))
    if not recipients or not text.strip():
        raise CommandError(usage)
    return TargetedCommand(recipients, text.strip())


def _location(argument: str) -> LocationCommand:
    usage = "Usage: /location LAT LON [NAME], e.g. /location 31.23 121.47 People's Square"
    match = re.match(r"\s*([-+]?[\d.]+)\s*[,\s]\s*([-+]?[\d.]+)(?:\s+(.*))?$", argument, re.S)
    if match is None:
        raise CommandError(usage)
    try:
        latitude, longitude = float(match.group(1)), float(match.group(2))
    except ValueError:
        raise CommandError(usage) from None
    if not (math.isfinite(latitude) and -90 <= latitude <= 90):
        raise CommandError(f"Latitude {match.group(1)} is not between -90 and 90")
    if not (math.isfinite(longitude) and -180 <= longitude <= 180):
        raise CommandError(f"Longitude {match.group(2)} is not between -180 and 180")
    return LocationCommand(latitude, longitude, " ".join((match.group(3) or "").split()))


def path_argument(text: str) -> Path:
    """A path as typed or pasted: unquoted, ``file://`` decoded, ``~`` expanded."""
    value = text.strip()
    if len(value) >= 2 and value[0] in _QUOTES and value[-1] == value[0]:
        value = value[1:-1]
    elif value.startswith("file://"):
        parts = urlsplit(value)
        value = unquote(parts.path)
        if os.name == "nt" and re.match(r"/[A-Za-z]:", value):
            value = value[1:]
    elif os.sep != "\\" and "\\ " in value:
        value = re.sub(r"\\(.)", r"\1", value)  # a shell-escaped drop: my\ photo.png
    return Path(value).expanduser()


def pasted_path(text: str) -> Path | None:
    """The path a paste holds when it is exactly one path (as terminals paste a dropped
    file: plain, quoted or a ``file://`` URL), else None. No I/O: the caller checks it."""
    value = text.strip()
    if not value or len(value) > _MAX_PASTED_PATH or "\n" in value or "\x00" in value:
        return None
    if value[0] in _QUOTES and (len(value) < 2 or value[-1] != value[0]):
        return None
    inner = value[1:-1] if value[0] in _QUOTES else value
    looks_like_path = (
        inner.startswith(("/", "~/", "file://", "./", "../"))
        or re.match(r"[A-Za-z]:[\\/]", inner) is not None
    )
    if not looks_like_path:
        return None
    if inner.startswith("file://") and urlsplit(inner).netloc not in ("", "localhost"):
        return None
    return path_argument(value)
