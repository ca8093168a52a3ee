"""The public service accounts directory: search accounts by name or id, follow or
unfollow them, open one's conversation.

Typing searches (enter searches at once); the list shows each account's name, kind and
description, and whether this user follows it. Keys on the list: enter opens the
account's chat, ``f`` follows or unfollows it, esc closes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from imkit_tui.core import NotConnected, RequestFailed
from imkit_tui.protocol import ConvRef
from imkit_tui.protocol.public_frames import PublicAccount
from imkit_tui.ui.format import PUBLIC_MARK

if TYPE_CHECKING:
    from imkit_tui.core import IMClient

KEYS = "type to search · enter open · f follow/unfollow · esc close"
"""The key line under the list."""
KINDS = {7: "app account", 8: "platform account"}
"""How each kind of account is named."""


def account_line(account: PublicAccount) -> Text:
    """An account as the directory lists it."""
    line = Text(f"{PUBLIC_MARK}{account.name}", style="bold")
    line.append(f"  {account.id} · {KINDS.get(account.type, str(account.type))}", style="dim")
    if account.followed:
        line.append("  ✓ following", style="green")
    if account.description:
        line.append(f"\n  {account.description[:200]}")
    return line


class PublicAccountsScreen(ModalScreen[ConvRef | None]):
    """Search, follow, open; dismisses with the account's conversation to open."""

    DEFAULT_CSS = """
    PublicAccountsScreen {
        align: center middle;
    }
    PublicAccountsScreen > Vertical {
        width: 80%;
        height: 80%;
        padding: 1 2;
        background: $surface;
        border: round $primary;
    }
    PublicAccountsScreen OptionList {
        height: 1fr;
        border: none;
    }
    PublicAccountsScreen #public-keys {
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Close"),
        Binding("f", "toggle_follow", "Follow/unfollow"),
    ]

    def __init__(self, client: IMClient) -> None:
        """A directory searched through `client`."""
        super().__init__()
        self._client = client
        self.accounts: list[PublicAccount] = []
        """The accounts listed, in order."""

    def compose(self) -> ComposeResult:
        """Title, search field, results, keys."""
        with Vertical():
            yield Label(Text("Public service accounts", style="bold"))
            yield Input(placeholder="search by name or id", id="public-search")
            yield OptionList(id="public-results")
            yield Label(KEYS, id="public-keys", markup=False)

    def on_mount(self) -> None:
        """List every account to begin with."""
        self.query_one(Input).focus()
        self.search("")

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self.search(event.value.strip())

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        results = self.query_one(OptionList)
        if self.accounts:
            results.focus()
            results.highlighted = 0

    @work(exclusive=True, group="public-search", exit_on_error=False)
    async def search(self, keyword: str) -> None:
        """Show the accounts matching `keyword` (the latest search wins)."""
        try:
            found = await self._client.public.search(keyword)
        except (NotConnected, TimeoutError):
            self.notify("You are offline: the accounts you follow are listed", severity="warning")
            found = [a for a in await self._client.public.followed() if keyword in a.name]
        except RequestFailed as failure:
            self.notify(failure.message, severity="warning")
            return
        self._list(found)

    def _list(self, accounts: list[PublicAccount]) -> None:
        self.accounts = accounts
        results = self.query_one(OptionList)
        highlighted = results.highlighted
        results.clear_options()
        results.add_options(Option(account_line(a), id=f"{a.type}:{a.id}") for a in accounts)
        if accounts and highlighted is not None:
            results.highlighted = min(highlighted, len(accounts) - 1)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        account = self.accounts[event.option_index]
        self.dismiss(ConvRef(type=account.type, target=account.id))

    def action_toggle_follow(self) -> None:
        """Follow the highlighted account, or unfollow it."""
        results = self.query_one(OptionList)
        if results.highlighted is None or not self.accounts:
            return
        self._toggle(results.highlighted)

    @work(group="public-follow", exit_on_error=False)
    async def _toggle(self, index: int) -> None:
        account = self.accounts[index]
        conv = ConvRef(type=account.type, target=account.id)
        public = self._client.public
        try:
            changed = await (public.unfollow(conv) if account.followed else public.follow(conv))
        except (NotConnected, TimeoutError):
            self.notify("You are offline: try again once connected", severity="warning")
            return
        except RequestFailed as failure:
            self.notify(failure.message, severity="warning")
            return
        self._list([changed if i == index else a for i, a in enumerate(self.accounts)])
        self.notify(f"{'Following' if changed.followed else 'No longer following'} {changed.name}")

    def action_cancel(self) -> None:
        """Close without opening anything."""
        self.dismiss(None)
