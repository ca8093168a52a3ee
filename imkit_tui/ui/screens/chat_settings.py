"""The settings of a private chat: who it is with, do not disturb, pin, block, search in
the chat, clear its history, remove it from the list.

Opened with ctrl+o (or "Conversation settings" in the palette) for the open or the
highlighted conversation. Every switch acts at once through the main screen's actions,
so it syncs to the user's other devices like the keys of the list do; the buttons close
the screen and hand over to the main screen (search, clear, remove). `SettingsScreen`
is what this screen and a group's (`group_settings.py`) share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static, Switch

from imkit_tui.core import Conversation, ConversationUpdated, Event
from imkit_tui.protocol import ConversationType
from imkit_tui.ui.format import display_name

if TYPE_CHECKING:
    from imkit_tui.core import IMClient
    from imkit_tui.ui.screens.privacy_actions import PrivacyActions

CLOSE_ACTIONS = ("search", "clear", "remove")
"""What the buttons ask the main screen to do once the settings are closed."""


class SettingsScreen(ModalScreen[str | None]):
    """What the settings screens of a conversation share: its list row, and the do not
    disturb and pin switches, which act at once and follow changes from other devices.

    Closes with one of :data:`CLOSE_ACTIONS` or None.
    """

    DEFAULT_CSS = """
    SettingsScreen {
        align: center middle;
    }
    SettingsScreen > Vertical {
        width: 64;
        max-width: 100%;
        height: auto;
        padding: 1 2;
        border: round $accent;
        background: $panel;
    }
    SettingsScreen #settings-title {
        text-style: bold;
        margin-bottom: 1;
    }
    SettingsScreen .setting {
        height: 3;
    }
    SettingsScreen .setting Label {
        width: 1fr;
        padding: 1 0 0 0;
    }
    SettingsScreen #settings-buttons {
        height: auto;
        margin-top: 1;
    }
    SettingsScreen Button {
        margin-right: 1;
        min-width: 0;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Close")]

    def __init__(
        self, client: IMClient, row: Conversation, privacy: PrivacyActions | None = None
    ) -> None:
        """Show the settings of ``row``'s conversation, acting through ``client``
        (and ``privacy``, which blocks the peer of a private chat)."""
        super().__init__()
        self._client = client
        self._privacy = privacy
        self._row = row

    @property
    def row(self) -> Conversation:
        """The conversation's list row as last seen."""
        return self._row

    def _setting(self, label: str, name: str, value: bool) -> Horizontal:
        return Horizontal(Label(label), Switch(value=value, id=name), classes="setting")

    def on_mount(self) -> None:
        """Follow changes made elsewhere (another device) while the screen is open."""
        self._follow()

    def _follow(self) -> None:
        async def follow() -> None:
            with self._client.subscribe() as events:
                async for event in events:
                    if (
                        isinstance(event, ConversationUpdated)
                        and event.conversation.ref == self._row.ref
                    ):
                        self._row = event.conversation
                        self._show(self._row)
                    else:
                        self.followed(event)

        self.run_worker(follow(), group="settings-follow", exit_on_error=False)

    def followed(self, event: Event) -> None:
        """Another event of the client core arrived while the screen is open."""

    def _show(self, row: Conversation) -> None:
        for name, value in (("muted", row.muted), ("pinned", row.pinned)):
            switch = self.query_one(f"#{name}", Switch)
            if switch.value != value:
                with switch.prevent(Switch.Changed):
                    switch.value = value

    @on(Switch.Changed)
    async def _switched(self, event: Switch.Changed) -> None:
        ref, value = self._row.ref, event.value
        if event.switch.id == "muted":
            self._row = await self._client.change_settings(ref, muted=value)
        elif event.switch.id == "pinned":
            self._row = await self._client.change_settings(ref, pinned=value)
        else:
            await self.switched(event)

    async def switched(self, event: Switch.Changed) -> None:
        """A switch other than do not disturb and pin was flipped."""

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id in CLOSE_ACTIONS:
            self.dismiss(event.button.id)


class ChatSettingsScreen(SettingsScreen):
    """A private chat's settings; closes with "search", "clear", "remove" or None."""

    def compose(self) -> ComposeResult:
        """Who, the three switches, the three buttons."""
        ref = self._row.ref
        private = ref.type == ConversationType.PRIVATE
        with Vertical():
            yield Static(display_name(ref), id="settings-title")
            kind = "Private chat" if private else "Conversation"
            yield Static(f"{kind} · user id {ref.target}", id="settings-info")
            yield self._setting("Do not disturb", "muted", self._row.muted)
            yield self._setting("Pin to the top", "pinned", self._row.pinned)
            if private and self._privacy is not None:
                blocked = self._privacy.is_blocked(ref.target)
                yield self._setting(f"Block {ref.target}", "blocked", blocked)
            with Horizontal(id="settings-buttons"):
                yield Button("Search in chat", id="search")
                yield Button("Clear history", id="clear", variant="warning")
                yield Button("Remove from list", id="remove")

    async def switched(self, event: Switch.Changed) -> None:
        """Block or unblock the peer."""
        ref, value = self._row.ref, event.value
        if event.switch.id == "blocked" and self._privacy is not None:
            await self._privacy.set_blocked(ref.target, value)
            if self._privacy.is_blocked(ref.target) != value:
                with event.switch.prevent(Switch.Changed):
                    event.switch.value = not value  # refused (offline): show the truth
