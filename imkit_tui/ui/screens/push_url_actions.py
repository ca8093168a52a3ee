"""Where the user's offline pushes go, from the palette: "Offline pushes: where they
go…" asks the server for the user's push URL, offers it for editing in a prompt, and
sets what is entered (an Apprise URL: ntfy://, gotify://, json://, mailto://, ...;
empty removes it). The server keeps it and checks it; offline, or on a server that
sends no pushes, the app says so instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand

from imkit_tui import core
from imkit_tui.protocol import PushUrlState, describe
from imkit_tui.ui.screens.prompts import TextPromptScreen

if TYPE_CHECKING:
    from imkit_tui.ui.screens.main_host import MainHost

QUESTION = "Where your offline pushes go (an Apprise URL; empty: none of your own)"
PLACEHOLDER = "ntfy://ntfy.sh/my-topic"


def push_url_commands(host: MainHost) -> Iterable[SystemCommand]:
    """The palette's entry to set the push URL."""
    yield SystemCommand(
        "Offline pushes: where they go…",
        "A URL (ntfy://, gotify://, mailto://, …) notified while no device of yours is online",
        partial(ask_push_url, host),
    )


async def _asked(host: MainHost, url: str | None) -> PushUrlState | None:
    """The server's answer to setting (or with None reading) the URL; None, said as a
    toast, when it could not be had."""
    notify = host.app.notify
    try:
        return await host.client.push_url(url)
    except (core.NotConnected, TimeoutError):
        notify("Not connected: the push URL is kept by the server.", severity="warning")
    except core.RequestFailed as failure:
        notify(
            f"The server refused: {failure.message or describe(failure.code)} ({failure.code})",
            severity="error",
            markup=False,
        )
    return None


async def ask_push_url(host: MainHost) -> None:
    """Offer the current push URL for editing, and set what is entered."""
    state = await _asked(host, None)
    if state is None:
        return
    if not state.pushes:
        host.app.notify("This server sends no offline pushes.", severity="warning")
        return

    async def chosen(answer: str | None) -> None:
        if answer is None or answer == state.url:
            return
        done = await _asked(host, answer)
        if done is not None:
            said = f"Offline pushes go to {done.url}" if done.url else "No push URL of your own"
            host.app.notify(said, markup=False)

    prompt = TextPromptScreen(QUESTION, placeholder=PLACEHOLDER, value=state.url, check=_any)
    host.app.push_screen(prompt, chosen)


def _any(answer: str) -> str | None:
    """Every answer is sent (an empty one removes the URL); the server checks it."""
    return None
