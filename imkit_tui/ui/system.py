"""Finding and running system programs: audio and video players, the file opener.

Players are looked up on ``PATH`` with :func:`shutil.which`, in order of preference, and
started with :func:`asyncio.create_subprocess_exec` with stdin, stdout and stderr on
``/dev/null`` (a player must never read the keys meant for the app, nor draw over it)
and in a new session (a ctrl+c in the terminal is for the app, not for the player).
Nothing here blocks the event loop: lookups run in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

AUDIO_PLAYERS: tuple[tuple[str, ...], ...] = (
    ("ffplay", "-nodisp", "-autoexit", "-loglevel", "quiet"),
    ("mpv", "--no-video", "--really-quiet"),
    ("afplay",),
    ("paplay",),
    ("aplay", "-q"),
)
"""Audio players, best first: the program and the arguments that go before the file."""

VIDEO_PLAYERS: tuple[tuple[str, ...], ...] = (
    ("ffplay", "-autoexit", "-loglevel", "quiet"),
    ("mpv", "--really-quiet"),
    ("vlc", "--play-and-exit"),
)
"""Video players, best first."""

OPENERS: tuple[tuple[str, ...], ...] = (
    ("open",) if sys.platform == "darwin" else ("xdg-open",),
    ("gio", "open"),
)
"""Programs that open a file with the user's default application (not on Windows)."""

NO_AUDIO_PLAYER = "No audio player found: install ffmpeg (ffplay), mpv or pulseaudio-utils (paplay)"
"""What the user is told when no audio player is installed."""

NO_VIDEO_PLAYER = "No video player found: install ffmpeg (ffplay), mpv or vlc"
"""What the user is told when no video player is installed."""

NO_OPENER = "No program to open files found: install xdg-utils (xdg-open)"
"""What the user is told when nothing can open a file."""


NO_BROWSER = "No web browser found: install xdg-utils (xdg-open) or set BROWSER"
"""What the user is told when nothing can open a web link."""


class ProgramError(Exception):
    """A system program is missing or failed; the message is for the user."""


class NoOpener(ProgramError):
    """Nothing on this system opens the file or link; the message says what to install."""


def find_program(candidates: Sequence[Sequence[str]]) -> list[str] | None:
    """Return the first candidate found on ``PATH`` as an argv prefix, else None.

    Blocking (it stats the ``PATH`` folders): call it through :func:`asyncio.to_thread`.
    """
    for candidate in candidates:
        found = shutil.which(candidate[0])
        if found is not None:
            return [found, *candidate[1:]]
    return None


async def find_player(video: bool) -> list[str] | None:
    """The argv prefix of the best installed video (or audio) player, or None."""
    return await asyncio.to_thread(find_program, VIDEO_PLAYERS if video else AUDIO_PLAYERS)


async def start(argv: Sequence[str]) -> asyncio.subprocess.Process:
    """Start ``argv`` quietly (no stdin, no output, own session); raise ProgramError."""
    try:
        return await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        raise ProgramError(f"Cannot run {Path(argv[0]).name}: {exc.strerror or exc}") from None


async def stop(process: asyncio.subprocess.Process, grace: float = 2.0) -> None:
    """Terminate ``process``, killing it when it does not end within ``grace`` seconds."""
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        async with asyncio.timeout(grace):  # not wait_for: it can swallow a cancellation
            await process.wait()
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


async def open_file(path: Path) -> None:
    """Open ``path`` with the user's default application; raise ProgramError.

    Windows uses ``os.startfile``; elsewhere ``open`` (macOS) or ``xdg-open``.
    """
    startfile = getattr(os, "startfile", None)
    if sys.platform == "win32" and startfile is not None:
        try:
            await asyncio.to_thread(startfile, str(path))
        except OSError as exc:
            raise ProgramError(f"Cannot open {path.name}: {exc.strerror or exc}") from None
        return
    opener = await asyncio.to_thread(find_program, OPENERS)
    if opener is None:
        raise NoOpener(NO_OPENER)
    process = await start([*opener, str(path)])
    if await process.wait() != 0:
        raise ProgramError(f"{Path(opener[0]).name} could not open {path.name}")


async def open_link(url: str) -> None:
    """Open a web link in the user's browser; raise :class:`NoOpener` when there is none."""
    import webbrowser

    if not await asyncio.to_thread(webbrowser.open, url):
        raise NoOpener(NO_BROWSER)
