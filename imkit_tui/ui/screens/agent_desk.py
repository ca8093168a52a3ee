"""The agent's view of the customer-service desk: who waits (first come first), your
customers; take, end, open a customer's conversation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from imkit_tui.protocol import CsAgentState
from imkit_tui.ui.widgets.key_footer import KeyFooter

DeskCall = Callable[[str], Awaitable[CsAgentState | None]]
"""A desk request for a customer ('' for none), answered with the desk (None: refused)."""


class AgentDeskScreen(Screen[str | None]):
    """The desk: "Waiting" and "Yours" side by side. t takes the highlighted waiting
    customer (or the first), e ends the session with the highlighted one of yours, Enter
    opens a customer's conversation (the screen closes with their id), Esc goes back."""

    DEFAULT_CSS = """
    AgentDeskScreen Horizontal {
        height: 1fr;
    }
    AgentDeskScreen Vertical {
        width: 1fr;
        border: round $primary;
        padding: 0 1;
    }
    AgentDeskScreen OptionList {
        height: 1fr;
        border: none;
    }
    AgentDeskScreen #desk-title {
        padding: 0 1;
        text-style: bold;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "take", "Take"),
        Binding("e", "end", "End session"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, desk: CsAgentState, take: DeskCall, end: DeskCall) -> None:
        """Show `desk`; `take` and `end` ask the server."""
        super().__init__()
        self.desk = desk
        self._take = take
        self._end = end

    def compose(self) -> ComposeResult:
        """The title, the two lists, the keys."""
        yield Label("", id="desk-title")
        with Horizontal():
            with Vertical():
                yield Label("Waiting")
                yield OptionList(id="desk-waiting")
            with Vertical():
                yield Label("Yours")
                yield OptionList(id="desk-mine")
        yield KeyFooter()

    def on_mount(self) -> None:
        """Fill the lists; start on the waiting ones."""
        self.show(self.desk)
        self.query_one("#desk-waiting", OptionList).focus()

    def show(self, desk: CsAgentState) -> None:
        """Show `desk` (a push, or the answer to take or end)."""
        self.desk = desk
        online = ", ".join(desk.online) or "nobody"
        self.query_one("#desk-title", Label).update(
            Text(f"{desk.name or desk.account} · agents online: {online}")
        )
        for list_id, customers in (("#desk-waiting", desk.waiting), ("#desk-mine", desk.mine)):
            options = self.query_one(list_id, OptionList)
            kept = options.highlighted
            options.clear_options()
            options.add_options([Option(c, id=c) for c in customers] or [Option("(nobody)")])
            if customers:
                options.highlighted = min(kept or 0, len(customers) - 1)

    @property
    def waiting(self) -> list[str]:
        """Who waits, as shown."""
        return list(self.desk.waiting)

    @property
    def mine(self) -> list[str]:
        """Your customers, as shown."""
        return list(self.desk.mine)

    def _highlighted(self, list_id: str) -> str:
        options = self.query_one(list_id, OptionList)
        index = options.highlighted
        if index is None:
            return ""
        return options.get_option_at_index(index).id or ""

    async def action_take(self) -> None:
        """Take the highlighted waiting customer (the first when none is)."""
        answer = await self._take(self._highlighted("#desk-waiting"))
        if answer is not None:
            self.show(answer)
            self.query_one("#desk-mine", OptionList).focus()

    async def action_end(self) -> None:
        """End the session with the highlighted customer of yours."""
        customer = self._highlighted("#desk-mine")
        if not customer:
            self.app.notify("Highlight one of your customers first.", severity="warning")
            return
        answer = await self._end(customer)
        if answer is not None:
            self.show(answer)

    @on(OptionList.OptionSelected)
    def _open(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(event.option.id)

    def action_back(self) -> None:
        """Back to the chats."""
        self.dismiss(None)
