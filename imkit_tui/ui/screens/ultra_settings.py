"""The settings of an ultra group and of its open channel: the user's notification level
and do-not-disturb for each, and for the owner the channels (new, rename, delete), the
group's name, and dismissing it; anyone else may quit.

Opened with ctrl+o (or the palette) on an ultra group. Levels and DND are the user's
own (every device of theirs follows); the owner's changes reach every member. Each
request runs in a worker; a refusal, or no server, is said in a notification.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, ClassVar, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select, Static, Switch

from imkit_tui.core import NotConnected, RequestFailed, UltraChanged
from imkit_tui.core.ultra import LEVELS
from imkit_tui.protocol import ConvRef, describe
from imkit_tui.protocol.ultra_frames import NotificationLevel
from imkit_tui.ui.screens.prompts import ConfirmScreen, TextPromptScreen

if TYPE_CHECKING:
    from imkit_tui.core import IMClient, UltraChannelRow, UltraGroupRow

LEVEL_NAMES: dict[str, str] = {
    "default": "As the group (default)",
    "all": "All messages",
    "mentions": "Only @ me or @ all",
    "mentions_me": "Only @ me",
    "none": "Nothing",
}
"""How each notification level is offered."""

OWNER_BUTTONS = ("new_channel", "rename_channel", "delete_channel", "rename_group", "dismiss")
"""What only the owner is offered."""

_CHANNEL_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _check_channel_id(text: str) -> str | None:
    return None if _CHANNEL_ID.fullmatch(text) else "Letters, digits, _ and - (64 at most)"


class UltraSettingsScreen(ModalScreen[None]):
    """An ultra group's settings, with those of channel `conv.channel`."""

    DEFAULT_CSS = """
    UltraSettingsScreen {
        align: center middle;
    }
    UltraSettingsScreen > VerticalScroll {
        width: 72;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        padding: 1 2;
        border: round $accent;
        background: $panel;
    }
    UltraSettingsScreen #ultra-title {
        text-style: bold;
    }
    UltraSettingsScreen .setting {
        height: 3;
    }
    UltraSettingsScreen .setting Label {
        width: 1fr;
        padding: 1 0 0 0;
    }
    UltraSettingsScreen .setting Select {
        width: 30;
    }
    UltraSettingsScreen .buttons {
        height: auto;
        margin-top: 1;
    }
    UltraSettingsScreen Button {
        margin-right: 1;
        min-width: 0;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Close")]

    def __init__(self, client: IMClient, conv: ConvRef) -> None:
        """Settings of `conv`'s group and of its channel."""
        super().__init__()
        self._client = client
        self.conv = conv
        """The channel whose settings show with the group's."""
        self.group: UltraGroupRow | None = None
        self.channel: UltraChannelRow | None = None

    def compose(self) -> ComposeResult:
        """Title, the group's and the channel's level and DND, the buttons."""
        with VerticalScroll():  # taller than a 24-row terminal: it scrolls, nothing is cut
            yield Static(f"# {self.conv.target}", id="ultra-title")
            yield Static("", id="ultra-info")
            yield self._setting("Group: do not disturb", Switch(id="group-dnd"))
            yield self._setting("Group: notify me of", self._level_select("group-level"))
            yield self._setting("Channel: do not disturb", Switch(id="channel-dnd"))
            yield self._setting("Channel: notify me of", self._level_select("channel-level"))
            with Horizontal(classes="buttons"):
                yield Button("New channel…", id="new_channel")
                yield Button("Rename channel…", id="rename_channel")
                yield Button("Delete channel…", id="delete_channel", variant="warning")
            with Horizontal(classes="buttons"):
                yield Button("Rename group…", id="rename_group")
                yield Button("Dismiss group…", id="dismiss", variant="error")
                yield Button("Quit group…", id="quit", variant="error")

    @staticmethod
    def _setting(label: str, widget: Switch | Select[str]) -> Horizontal:
        return Horizontal(Label(label), widget, classes="setting")

    @staticmethod
    def _level_select(name: str) -> Select[str]:
        options = [(LEVEL_NAMES[level], level) for level in LEVELS]
        return Select(options, id=name, allow_blank=False, value="default")

    async def on_mount(self) -> None:
        """Show what this device knows, then follow changes."""
        await self._load()

        async def follow() -> None:
            with self._client.subscribe() as events:
                async for event in events:
                    if isinstance(event, UltraChanged) and event.group == self.conv.target:
                        await self._load()

        self.run_worker(follow(), group="ultra-settings-follow", exit_on_error=False)

    async def _load(self) -> None:
        group_id = self.conv.target
        self.group = await self._client.ultra.group(group_id)
        channels = await self._client.ultra.channels(group_id)
        self.channel = next((c for c in channels if c.channel == self.conv.channel), None)
        if self.group is None:
            self.query_one("#ultra-info", Static).update("You are not in this ultra group.")
            return
        owner = self.group.owner == self._client.user_id
        name = self.channel.label if self.channel else self.conv.channel or "general"
        self.query_one("#ultra-title", Static).update(f"# {self.group.name or group_id}")
        who = "you own it" if owner else f"owner {self.group.owner}"
        count = f" · {self.group.member_count} members" if self.group.member_count else ""
        info = f"{who}{count} · {len(channels)} channels · open: # {name}"
        self.query_one("#ultra-info", Static).update(info)
        self._set("#group-dnd", self.group.dnd)
        self._set("#group-level", self.group.level)
        if self.channel is not None:
            self._set("#channel-dnd", self.channel.dnd)
            self._set("#channel-level", self.channel.level)
        for button in OWNER_BUTTONS:
            self.query_one(f"#{button}", Button).display = owner
        self.query_one("#delete_channel", Button).display = owner and self.conv.channel != ""
        self.query_one("#quit", Button).display = not owner

    def _set(self, selector: str, value: bool | str) -> None:
        widget = self.query_one(selector)
        if isinstance(widget, Switch) and isinstance(value, bool) and widget.value != value:
            with widget.prevent(Switch.Changed):
                widget.value = value
        elif isinstance(widget, Select) and widget.value != value:
            with widget.prevent(Select.Changed):
                widget.value = value

    # ------------------------------------------------------------------ the user's settings

    @on(Switch.Changed)
    def _switched(self, event: Switch.Changed) -> None:
        channel = self.conv.channel if event.switch.id == "channel-dnd" else None
        self._ask(self._client.ultra.set_dnd(self.conv.target, event.value, channel))

    @on(Select.Changed)
    def _level_chosen(self, event: Select.Changed) -> None:
        level = cast("NotificationLevel", event.value)
        channel = self.conv.channel if event.select.id == "channel-level" else None
        self._ask(self._client.ultra.set_level(self.conv.target, level, channel))

    def _ask(self, request: Awaitable[object], done: str = "") -> None:
        async def asked() -> None:
            try:
                await request
            except RequestFailed as refused:
                self.app.notify(f"Refused: {describe(refused.code)}", severity="error")
                await self._load()
                return
            except (NotConnected, TimeoutError):
                self.app.notify("Cannot reach the server", severity="error")
                await self._load()
                return
            if done:
                self.app.notify(done)
            await self._load()

        self.run_worker(asked(), group="ultra-settings", exit_on_error=False)

    # ------------------------------------------------------------------ the buttons

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        ultra, group = self._client.ultra, self.conv.target
        name = self.channel.label if self.channel else self.conv.channel
        button = event.button.id
        if button == "new_channel":

            def made(channel: str | None) -> None:
                if channel:
                    self._ask(ultra.create_channel(group, channel, channel), f"# {channel} added")

            prompt = TextPromptScreen("New channel's id", check=_check_channel_id)
            self.app.push_screen(prompt, made)
        elif button == "rename_channel":

            def renamed(new: str | None) -> None:
                if new:
                    self._ask(ultra.rename_channel(group, self.conv.channel, new))

            self.app.push_screen(TextPromptScreen(f"Rename # {name} to", value=name), renamed)
        elif button == "rename_group":

            def group_renamed(new: str | None) -> None:
                if new:
                    self._ask(ultra.rename(group, new))

            current = self.group.name if self.group else group
            self.app.push_screen(
                TextPromptScreen("Rename the group to", value=current), group_renamed
            )
        elif button in ("delete_channel", "dismiss", "quit"):
            self._confirm(button, name)

    def _confirm(self, button: str, name: str) -> None:
        ultra, group = self._client.ultra, self.conv.target
        requests: dict[str, tuple[str, Callable[[], Awaitable[object]]]] = {
            "delete_channel": (
                f"Delete # {name} and all its messages, for everyone?",
                lambda: ultra.delete_channel(group, self.conv.channel),
            ),
            "dismiss": ("End this ultra group for everyone?", lambda: ultra.dismiss(group)),
            "quit": ("Quit this ultra group?", lambda: ultra.quit(group)),
        }
        question, request = requests[button]

        def answered(yes: bool | None) -> None:
            if yes:
                self._ask(request())
                if button != "delete_channel":
                    self.dismiss(None)

        self.app.push_screen(ConfirmScreen(question), answered)
