"""People's names and pictures on the main screen, and this user's own profile.

Builds the app's :class:`~imkit_tui.ui.names.NameBook` (which every widget asks for a
person's name) over ``client.profiles`` once the client is open, and the portraits drawn
in the conversation list's avatar tiles. Once the client is open it follows the core's
ProfilesChanged (names first read, or changed on any device) and draws the list, the
chat header, the open chat and an open group's members again. The palette offers "Set
my display name…" and "Set my picture…".
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual._context import active_app
from textual.app import SystemCommand

from imkit_tui import core
from imkit_tui.protocol import ConversationType, ConvRef, describe
from imkit_tui.protocol.profile_frames import MAX_NAME_CHARS, MAX_PORTRAIT_CHARS
from imkit_tui.ui import screens
from imkit_tui.ui.format import display_name
from imkit_tui.ui.images.kitty_inline import KittyImages
from imkit_tui.ui.names import NameBook, install
from imkit_tui.ui.portraits import Drawn, Portraits
from imkit_tui.ui.widgets._conversation_rows import AVATAR_WIDTH

if TYPE_CHECKING:
    from imkit_tui.core import IMClient, Subscription
    from imkit_tui.core.profiles import Profiles
    from imkit_tui.ui.screens.main_host import MainHost
    from imkit_tui.ui.screens.start_up import CoreStart
    from imkit_tui.ui.widgets.chat_header import ChatHeader
    from imkit_tui.ui.widgets.conversation_list import ConversationList
    from imkit_tui.ui.widgets.member_list import MemberList

_TILE_ROWS = 2


def name_problem(name: str) -> str | None:
    """What is wrong with a display name typed in, or None."""
    if len(name) > MAX_NAME_CHARS:
        return f"At most {MAX_NAME_CHARS} characters."
    return None if name.isprintable() else "No control characters."


def portrait_problem(url: str) -> str | None:
    """What is wrong with a portrait URL typed in ("" clears it), or None."""
    if len(url) > MAX_PORTRAIT_CHARS:
        return f"At most {MAX_PORTRAIT_CHARS} characters."
    if url and not url.startswith(("http://", "https://", "imkit-media:")):
        return "An http(s) URL, or an imkit-media: URL of a file sent before."
    return None


class ProfileActions:
    """Names and portraits for the main screen; setting one's own."""

    def __init__(
        self, host: MainHost, start: CoreStart, listing: ConversationList, header: ChatHeader
    ) -> None:
        """Name people through ``start``'s client once it is open; draw portraits in
        ``listing``; keep ``header`` named."""
        self._host = host
        self._start = start
        self._listing = listing
        self._header = header
        self._following = False
        self.book = NameBook(self._profiles)
        """The names every widget of this app asks (ui/names.py)."""
        with contextlib.suppress(LookupError):  # built by the running app, as a rule
            install(active_app.get(), self.book)
        self.portraits = Portraits(self._fetch, self._pictures_ready)
        listing.use_pictures(self.picture)

    def _pictures_ready(self) -> None:
        self._listing.refresh()

    def _client(self) -> IMClient | None:
        return self._start.client if self._start.core_ready.is_set() else None

    def _profiles(self) -> Profiles | None:
        client = self._client()
        if client is None:
            return None
        if not self._following:
            self._following = True
            # Subscribed now, so no change falls between this and the worker's start.
            events = client.subscribe()
            self._host.run_worker(self._follow(events), group="profiles", exit_on_error=False)
        return client.profiles

    async def _follow(self, events: Subscription) -> None:
        """Draw again what shows people whenever their names or portraits change."""
        with events:
            async for event in events:
                if isinstance(event, core.ProfilesChanged):
                    self.changed(event)

    async def _fetch(self, url: str) -> Path:
        client = self._client()
        if client is None:
            raise core.NotConnected("the client is not open yet")
        return await client.transfers.download(url)

    def picture(self, conv: ConvRef) -> Drawn | None:
        """The portrait of a private chat's peer as the avatar tile, once drawn (kitty's
        placeholders where the app draws pictures with kitty, else half blocks; None:
        the letter, always without colours)."""
        if conv.type != ConversationType.PRIVATE or self._host.app.no_color:
            return None
        url = self.book.portrait(conv.target)
        if not url:
            return None
        kitty = getattr(self._host.app, "inline_pictures", None)  # IMKitApp's, with kitty
        return self.portraits.tile(
            url, AVATAR_WIDTH, _TILE_ROWS, kitty if isinstance(kitty, KittyImages) else None
        )

    def changed(self, event: core.ProfilesChanged) -> None:
        """Names or portraits changed: draw what shows them again."""
        self._listing.refresh()
        current = self._host.current
        if current is not None:
            row = self._listing.get(current)
            self._header.rename(display_name(current, row.title if row is not None else ""))
        chat = self._host.chat_view
        if chat is not None:
            chat.redraw()
        # A group's settings, open over the main screen (looked up by name: the member
        # list is not loaded before the first frame).
        for members in self._host.app.screen.query("MemberList"):
            cast("MemberList", members).names_changed()

    # ------------------------------------------------------------------ own profile

    def commands(self) -> Iterable[SystemCommand]:
        """The palette's entries to set one's own name and picture."""
        if self._client() is None:
            return
        yield SystemCommand(
            "Set my display name…",
            "The name others see instead of your user id (on every device)",
            self.ask_name,
        )
        yield SystemCommand(
            "Set my picture…",
            "A portrait URL (http(s)) shown beside your name; empty for the letter",
            self.ask_portrait,
        )

    def ask_name(self) -> None:
        """Ask for a new display name and set it."""
        self._ask("name", "Your display name", name_problem)

    def ask_portrait(self) -> None:
        """Ask for a new portrait URL and set it."""
        self._ask("portrait", "Your picture (a URL; empty for none)", portrait_problem)

    def _ask(self, field: str, question: str, check: Callable[[str], str | None]) -> None:
        client = self._client()
        if client is None:
            return
        mine = client.profiles.known(client.user_id)
        value = "" if mine is None else mine.name if field == "name" else mine.portrait
        placeholder = client.user_id if field == "name" else "https://…"
        prompt = screens.TextPromptScreen(
            question, placeholder=placeholder, value=value, check=check
        )
        self._host.app.push_screen(prompt, partial(self._answered, field))

    def _answered(self, field: str, value: str | None) -> None:
        if value is None:
            return
        self._host.run_worker(self.set_own(field, value), group="own-profile")

    async def set_own(self, field: str, value: str) -> None:
        """Set this user's `field` ("name" or "portrait") to `value`, and say so."""
        client = self._client()
        if client is None:
            return
        notify = self._host.app.notify
        try:
            if field == "name":
                await client.profiles.set_own(name=value)
            else:
                await client.profiles.set_own(portrait=value)
        except (core.NotConnected, TimeoutError):
            notify("Not connected: your profile is kept on the server.", severity="warning")
            return
        except core.RequestFailed as failure:
            notify(f"The server refused: {describe(failure.code)}", severity="error", markup=False)
            return
        except ValueError as error:
            notify(str(error), severity="error", markup=False)
            return
        what = f"Your name is now {value}" if field == "name" and value else "Profile updated"
        notify(what, markup=False)
