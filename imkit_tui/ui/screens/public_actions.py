"""Public service accounts on the main screen: the menu bar under an account's chat
(instead of the composer), what its items do, typing to an account that takes text,
following and unfollowing, and the palette entries for them.

A click item sends the account its command (RC:PSCmd), a view item opens its link, a
group item lists its sub-items. ``i`` on the bar switches to the composer where the
account takes text (what is typed goes to the account's backend, which answers by
posting); "Account menu" in the palette brings the bar back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import TYPE_CHECKING

from textual.app import SystemCommand

from imkit_tui import core
from imkit_tui.protocol import ConvRef
from imkit_tui.protocol.public_frames import MenuItem, PublicAccount, is_public
from imkit_tui.ui import system
from imkit_tui.ui.widgets.menu_bar import MenuBar, item_label

if TYPE_CHECKING:
    from imkit_tui.ui.screens.main_host import MainHost


class PublicActions:
    """The menu bar and the account actions of the main screen `screen`."""

    def __init__(self, screen: MainHost) -> None:
        self._screen = screen
        self._typing: set[ConvRef] = set()
        self._accounts: dict[ConvRef, PublicAccount] = {}

    async def _mount_bar(self) -> None:
        """Mount the menu bar under the chat, the first time an account's chat opens."""
        if not self._screen.query("#public-menu"):
            bar = MenuBar(self.chosen, self.type_requested, id="public-menu")
            await self._screen.query("#chat").first().mount(bar)

    # ------------------------------------------------------------------ opening

    async def opened(self, conv: ConvRef) -> None:
        """`conv` opened: an account's shows its menu bar (from what this device knows,
        then as the server has it); any other, the composer as before."""
        if not is_public(conv):
            self._show(None)
            return
        await self._mount_bar()
        known = await self._screen.client.public.known(conv)
        if known is not None:
            self._accounts[conv] = known
        self._show(known, focus=True)
        self._run(self._refresh(conv), "public-refresh")

    async def _refresh(self, conv: ConvRef) -> None:
        try:
            account = await self._screen.client.public.refresh(conv)
        except (core.NotConnected, TimeoutError, core.RequestFailed):
            return  # what this device knows stays shown
        self._accounts[conv] = account
        if self._screen.current == conv:
            self._show(account)

    def _show(self, account: PublicAccount | None, *, focus: bool = False) -> None:
        """Show the bar for the open account (None: not an account's chat)."""
        screen = self._screen
        bars, rows = screen.query("#public-menu"), screen.query("#composer-row")
        if not bars or not rows:
            return
        bar, row = bars.first(MenuBar), rows.first()
        conv = screen.current
        public = conv is not None and is_public(conv)
        typing = public and conv in self._typing
        bar.display = public and not typing
        if public:
            row.display = typing
            bar.show_menu(
                account.menu if account else [],
                accepts_text=account.accepts_text if account else False,
            )
            if focus and not typing:
                bar.focus()

    # ------------------------------------------------------------------ the bar

    def chosen(self, item: MenuItem) -> None:
        """What a menu item does: send its command, open its link, list its sub-items."""
        conv = self._screen.current
        if conv is None or not is_public(conv):
            return
        account = self._accounts.get(conv)
        if account is not None and not account.followed:
            self._screen.app.notify(
                "Follow this account to use its menu (palette: Follow)", severity="warning"
            )
            return
        if item.kind == "view":
            self._run(self._open_link(item.url), "public-link")
        elif item.kind == "group":
            self._sub_menu(conv, item)
        else:
            self._run(self._click(conv, item), "public-click")

    def _sub_menu(self, conv: ConvRef, group: MenuItem) -> None:
        from imkit_tui.ui.screens.prompts import ActionMenuScreen

        entries = [(str(n), item_label(sub)) for n, sub in enumerate(group.items)]

        def picked(choice: str | None) -> None:
            if choice is not None and self._screen.current == conv:
                self.chosen(group.items[int(choice)])

        self._screen.app.push_screen(ActionMenuScreen(group.name, entries), picked)

    async def _click(self, conv: ConvRef, item: MenuItem) -> None:
        await self._screen.client.public.click(conv, item)
        self._screen.app.notify(f"Sent “{item.name}”", timeout=2)

    async def _open_link(self, url: str) -> None:
        self._screen.app.notify(url, title="Opening", timeout=3, markup=False)
        try:
            await system.open_link(url)
        except system.NoOpener as missing:
            self._screen.app.notify(f"Cannot open the link: {missing}", severity="warning")

    def type_requested(self) -> None:
        """Switch to the composer, where the open account takes text."""
        conv = self._screen.current
        if conv is None or not is_public(conv):
            return
        account = self._accounts.get(conv)
        if account is None or not account.accepts_text:
            self._screen.app.notify("This account takes its menu only", severity="warning")
            return
        self._typing.add(conv)
        self._show(account)
        composer = self._screen.composer
        if composer is not None:
            composer.focus()

    def back_to_menu(self) -> None:
        """Show the open account's menu bar again instead of the composer."""
        conv = self._screen.current
        if conv is not None and is_public(conv):
            self._typing.discard(conv)
            self._show(self._accounts.get(conv), focus=True)

    async def submitted(self, conv: ConvRef, text: str) -> bool:
        """Text written in an account's chat goes to the account (True: handled here)."""
        if not is_public(conv):
            return False
        self._run(self._say(conv, text), "public-say")
        return True

    async def _say(self, conv: ConvRef, text: str) -> None:
        await self._screen.client.public.say(conv, text)
        self._screen.app.notify("Sent to the account: its answer comes as a message", timeout=3)

    # ------------------------------------------------------------------ following

    def follow(self, conv: ConvRef, follow: bool) -> None:
        """Follow (or unfollow) the account of `conv`."""
        self._run(self._follow(conv, follow), "public-follow")

    async def _follow(self, conv: ConvRef, follow: bool) -> None:
        public = self._screen.client.public
        account = await (public.follow(conv) if follow else public.unfollow(conv))
        self._accounts[conv] = account
        verb = "Following" if follow else "No longer following"
        self._screen.app.notify(f"{verb} {account.name}", timeout=3)
        if self._screen.current == conv:
            self._show(account)

    def directory(self) -> None:
        """Search the accounts; the one chosen opens."""
        from imkit_tui.ui.screens.public_accounts import PublicAccountsScreen

        async def chosen(conv: ConvRef | None) -> None:
            if conv is not None:
                await self._screen.open_conversation(conv)

        self._screen.app.push_screen(PublicAccountsScreen(self._screen.client), chosen)

    def commands(self) -> Iterable[SystemCommand]:
        """The palette's entries: the directory, and for an open account's chat its menu,
        typing, and following."""
        yield SystemCommand(
            "Public service accounts…",
            "Search accounts, follow them, read their articles",
            self.directory,
        )
        conv = self._screen.current
        if conv is None or not is_public(conv):
            return
        account = self._accounts.get(conv)
        yield SystemCommand("Account menu", "Show the account's menu bar", self.back_to_menu)
        if account is not None and account.accepts_text:
            yield SystemCommand(
                "Type to the account", "Write instead of the menu (i)", self.type_requested
            )
        if account is None or not account.followed:
            yield SystemCommand(
                "Follow", "Its articles arrive from now on", lambda: self.follow(conv, True)
            )
        else:
            yield SystemCommand(
                "Unfollow", "No more of its articles", lambda: self.follow(conv, False)
            )

    # ------------------------------------------------------------------ running

    def _run(self, work: Awaitable[None], name: str) -> None:
        self._screen.run_worker(self._guarded(work), group=name, exit_on_error=False)

    async def _guarded(self, work: Awaitable[None]) -> None:
        try:
            await work
        except core.NotConnected:
            self._screen.app.notify("You are offline: try again once connected", severity="warning")
        except TimeoutError:
            self._screen.app.notify("The server did not answer in time", severity="error")
        except core.RequestFailed as failure:
            self._screen.app.notify(failure.message or str(failure), severity="warning")
